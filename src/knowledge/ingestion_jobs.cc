#include "knowledge/ingestion_jobs.h"

#include "common/clock.h"
#include "common/log.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {
namespace {

using nlohmann::json;

constexpr int64_t kRetentionSeconds = int64_t{30} * 86400;

const std::vector<store::Migration> kMigrations = {
    {1, "upload jobs",
     "CREATE TABLE kn_jobs (tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, created_by TEXT NOT "
     "NULL, collection_id TEXT NOT NULL, status TEXT NOT NULL, files TEXT NOT NULL, created_at "
     "INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, job_id));"
     "CREATE INDEX kn_jobs_by_creator ON kn_jobs (tenant_id, created_by, created_at);",
     // rowid, which SQLite gives every table, orders jobs made in one second.
     "CREATE TABLE kn_jobs (tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, created_by TEXT NOT "
     "NULL, collection_id TEXT NOT NULL, status TEXT NOT NULL, files TEXT NOT NULL, created_at "
     "BIGINT NOT NULL, updated_at BIGINT NOT NULL, rowid BIGINT GENERATED ALWAYS AS IDENTITY, "
     "PRIMARY KEY (tenant_id, job_id));"
     "CREATE INDEX kn_jobs_by_creator ON kn_jobs (tenant_id, created_by, created_at);"},
};

json FilesJson(const std::vector<JobFile>& files) {
  json out = json::array();
  for (const auto& f : files) {
    json j = {{"name", f.name}, {"status", f.status}};
    if (!f.error.empty()) j["error"] = f.error;
    if (!f.document_id.empty()) {
      j["document_id"] = f.document_id;
      j["version"] = f.version;
      j["chunks"] = f.chunks;
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<JobFile> FilesFrom(const std::string& text) {
  std::vector<JobFile> out;
  const json j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& f : j) {
    JobFile file;
    file.name = f.value("name", "");
    file.status = f.value("status", "failed");
    file.error = f.value("error", "");
    file.document_id = f.value("document_id", "");
    file.version = f.value("version", int64_t{0});
    file.chunks = f.value("chunks", int64_t{0});
    out.push_back(std::move(file));
  }
  return out;
}

IngestionJob JobFrom(const store::Row& r) {
  IngestionJob job;
  job.tenant_id = r.Text(0);
  job.id = r.Text(1);
  job.created_by = r.Text(2);
  job.collection = r.Text(3);
  job.status = r.Text(4);
  job.files = FilesFrom(r.Text(5));
  job.created_at = r.Int(6);
  job.updated_at = r.Int(7);
  return job;
}

constexpr const char* kColumns =
    "SELECT tenant_id, job_id, created_by, collection_id, status, files, created_at, updated_at "
    "FROM kn_jobs ";
const std::vector<std::string> kColumnList = {"tenant_id", "job_id", "created_by", "collection_id",
                                              "status",    "files",  "created_at", "updated_at"};

}  // namespace

json ToJson(const IngestionJob& job) {
  size_t added = 0, duplicates = 0, failed = 0, pending = 0;
  for (const auto& f : job.files) {
    if (f.status == "added") ++added;
    if (f.status == "duplicate") ++duplicates;
    if (f.status == "failed") ++failed;
    if (f.status == "queued" || f.status == "running") ++pending;
  }
  return {{"id", job.id},
          {"object", "ingestion.job"},
          {"collection", job.collection},
          {"status", job.status},
          {"created_at", job.created_at},
          {"updated_at", job.updated_at},
          {"counts",
           {{"files", job.files.size()},
            {"added", added},
            {"duplicates", duplicates},
            {"failed", failed},
            {"pending", pending}}},
          {"files", FilesJson(job.files)}};
}

Result<std::unique_ptr<IngestionJobs>> IngestionJobs::Open(store::Database& db) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("knowledge_jobs", kMigrations));
  std::unique_ptr<IngestionJobs> jobs(new IngestionJobs(db));
  DAULAT_RETURN_IF_ERROR(
      db.Execute("DELETE FROM kn_jobs WHERE created_at < ?", {UnixSeconds() - kRetentionSeconds}));
  return jobs;
}

Result<int> IngestionJobs::MarkInterrupted() {
  auto stale = db_.Query(std::string(kColumns) + "WHERE status IN ('queued', 'running')");
  if (!stale.ok()) return stale.status();
  for (const auto& r : *stale) {
    IngestionJob job = JobFrom(r);
    job.status = "interrupted";
    for (auto& f : job.files) {
      if (f.status != "queued" && f.status != "running") continue;
      f.status = "failed";
      f.error = "the server stopped before this file was read: upload it again";
    }
    DAULAT_RETURN_IF_ERROR(Save(job));
  }
  return static_cast<int>(stale->size());
}

Result<IngestionJob> IngestionJobs::Create(const std::string& tenant_id,
                                           const std::string& created_by,
                                           const std::string& collection,
                                           const std::vector<std::string>& file_names) {
  IngestionJob job;
  job.id = internal::NewId("job_");
  job.tenant_id = tenant_id;
  job.created_by = created_by;
  job.collection = collection;
  job.created_at = job.updated_at = UnixSeconds();
  for (const auto& name : file_names) {
    JobFile f;
    f.name = name;
    job.files.push_back(std::move(f));
  }
  DAULAT_RETURN_IF_ERROR(db_.Execute(
      "INSERT INTO kn_jobs (tenant_id, job_id, created_by, collection_id, status, files, "
      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {job.tenant_id, job.id, job.created_by, job.collection, job.status,
       FilesJson(job.files).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
       job.created_at, job.updated_at}));
  return job;
}

Status IngestionJobs::Save(const IngestionJob& job) {
  return store::TenantScope(db_, job.tenant_id)
      .Update("kn_jobs", {"status", "files", "updated_at"},
              {job.status,
               FilesJson(job.files).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               UnixSeconds()},
              "job_id = ?", {job.id})
      .status();
}

Result<IngestionJob> IngestionJobs::Get(const std::string& tenant_id, const std::string& created_by,
                                        const std::string& id) {
  auto rows =
      store::TenantScope(db_, tenant_id)
          .Select("kn_jobs", kColumnList, "job_id = ? AND created_by = ?", {id, created_by});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no job '" + id + "'");
  return JobFrom(rows->front());
}

Result<std::vector<IngestionJob>> IngestionJobs::List(const std::string& tenant_id,
                                                      const std::string& created_by, size_t limit) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Select("kn_jobs", kColumnList, "created_by = ?", {created_by},
                          "created_at DESC, rowid DESC", static_cast<int64_t>(limit));
  if (!rows.ok()) return rows.status();
  std::vector<IngestionJob> out;
  for (const auto& r : *rows) out.push_back(JobFrom(r));
  return out;
}

Status IngestionJobs::ForgetDocument(const std::string& tenant_id, const std::string& document_id) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Select("kn_jobs", kColumnList, "files LIKE ?", {"%\"" + document_id + "\"%"});
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) {
    IngestionJob job = JobFrom(r);
    for (auto& f : job.files) {
      if (f.document_id != document_id) continue;
      f.name = "(erased)";
      f.document_id.clear();
      f.status = "erased";
    }
    DAULAT_RETURN_IF_ERROR(Save(job));
  }
  return Status::Ok();
}

void IngestionJobs::Run(IngestionJob job, Library& library, const Reader& uploader,
                        DocumentOptions options,
                        const std::vector<std::pair<std::string, std::string>>& files,
                        const std::atomic<bool>& stopping,
                        const std::function<void(const DocumentInfo&)>& added) {
  const auto save = [this, &job] {
    if (Status st = Save(job); !st.ok())
      spdlog::warn("upload job {}: cannot save its progress: {}", job.id, st.ToString());
  };
  job.status = "running";
  save();
  for (size_t i = 0; i < files.size() && i < job.files.size(); ++i) {
    auto& file = job.files[i];
    if (stopping) {
      file.status = "failed";
      file.error = "the server stopped before this file was read: upload it again";
      job.status = "interrupted";
      continue;
    }
    file.status = "running";
    save();
    options.source_name = files[i].first;
    auto doc = library.AddDocument(uploader, files[i].second, options);
    if (!doc.ok()) {
      file.status = "failed";
      file.error = doc.status().message();
    } else {
      file.status = doc->duplicate ? "duplicate" : "added";
      file.document_id = doc->id;
      file.version = doc->version;
      file.chunks = doc->chunks;
      if (!doc->duplicate && added) added(*doc);
    }
    save();
  }
  if (job.status != "interrupted") job.status = "completed";
  save();
}

}  // namespace daulat::knowledge
