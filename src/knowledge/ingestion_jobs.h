#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "knowledge/library.h"
#include "store/database.h"

namespace daulat::knowledge {

// One file of an upload job. status: "queued", "running", "added",
// "duplicate" or "failed" (with `error`).
struct JobFile {
  std::string name;
  std::string status = "queued";
  std::string error;
  std::string document_id;
  int64_t version = 0, chunks = 0;
};

// A batch upload read in the background. status: "queued", "running",
// "completed" (every file has its outcome; some may have failed) or
// "interrupted" (the server stopped first; its unread files failed).
struct IngestionJob {
  std::string id, tenant_id, created_by, collection;
  std::string status = "queued";
  int64_t created_at = 0, updated_at = 0;
  std::vector<JobFile> files;
};

nlohmann::json ToJson(const IngestionJob& job);

// Upload jobs kept in the database, so their outcome survives the request
// and a restart. A job belongs to the tenant and credential that created it;
// anyone else is told it does not exist. Jobs older than 30 days are
// forgotten. Thread-safe (the database serialises writes).
class IngestionJobs {
 public:
  static Result<std::unique_ptr<IngestionJobs>> Open(store::Database& db);
  // Jobs left queued or running by an earlier process become "interrupted";
  // returns how many. Only for the process that runs jobs, at its start (the
  // server), or one that holds the data folder alone (`daulat doctor
  // --repair`): a CLI command beside a running server must not call it.
  Result<int> MarkInterrupted();

  Result<IngestionJob> Create(const std::string& tenant_id, const std::string& created_by,
                              const std::string& collection,
                              const std::vector<std::string>& file_names);
  Status Save(const IngestionJob& job);
  Result<IngestionJob> Get(const std::string& tenant_id, const std::string& created_by,
                           const std::string& id);
  // Newest first, at most `limit`.
  Result<std::vector<IngestionJob>> List(const std::string& tenant_id,
                                         const std::string& created_by, size_t limit);
  // An erased document's file name and id leave every job that named it.
  Status ForgetDocument(const std::string& tenant_id, const std::string& document_id);

  // Reads a created job's files (name, bytes) in order into `library` for
  // `uploader`, saving each file's outcome as it goes. `added` hears of each
  // new document (not duplicates). When `stopping` turns true the files not
  // yet read fail and the job ends "interrupted".
  void Run(IngestionJob job, Library& library, const Reader& uploader, DocumentOptions options,
           const std::vector<std::pair<std::string, std::string>>& files,
           const std::atomic<bool>& stopping,
           const std::function<void(const DocumentInfo&)>& added);

 private:
  explicit IngestionJobs(store::Database& db) : db_(db) {}
  store::Database& db_;
};

}  // namespace daulat::knowledge
