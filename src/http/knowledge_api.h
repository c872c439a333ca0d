#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <vector>

#include "http/api_call.h"
#include "http/api_server.h"
#include "http/governed_generator.h"
#include "knowledge/assistant.h"
#include "knowledge/conversations.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"

namespace daulat::http {

// Lumin's library over HTTP: collections, document upload (multipart),
// listing, reading, deletion and search. Every call reads as the caller:
// tenant, clearance and ACL groups filter inside the library's queries, so a
// document the caller may not see answers 404 exactly like one that does not
// exist. Parsing and indexing run off the I/O threads.
// The reader a call reads as: its tenant, clearance and ACL groups.
knowledge::Reader ReaderOf(const ApiCall& call);

class KnowledgeApi {
 public:
  KnowledgeApi(const ApiServices& services, boost::asio::thread_pool& blocking)
      : s_(services), blocking_(blocking), assistant_(*services.library, services.conversations) {}
  ~KnowledgeApi();
  void AddRoutes(std::vector<ApiRoute>& routes);
  // Upload jobs stop between files; the files not read yet fail as
  // "interrupted" (the job says so). Waits for the file being read.
  void Stop();

 private:
  using CallPtr = std::shared_ptr<ApiCall>;
  void ListCollections(const CallPtr& call);
  void CreateCollection(const CallPtr& call);
  void Upload(const CallPtr& call);
  void ListDocuments(const CallPtr& call);
  void GetDocument(const CallPtr& call);
  void DeleteDocument(const CallPtr& call);
  void DocumentPassages(const CallPtr& call);
  void Search(const CallPtr& call);
  void Ask(const CallPtr& call);
  void ListConversations(const CallPtr& call);
  void CreateConversation(const CallPtr& call);
  void GetConversation(const CallPtr& call);
  void DeleteConversation(const CallPtr& call);
  // Several files, or ?async=true: a job read in the background (202).
  void StartJob(const CallPtr& call, const knowledge::DocumentOptions& o,
                std::vector<std::pair<std::string, std::string>> files);
  void RunJob(knowledge::IngestionJob job, const knowledge::Reader& uploader,
              const knowledge::DocumentOptions& o,
              const std::vector<std::pair<std::string, std::string>>& files);
  void GetJob(const CallPtr& call);
  void ListJobs(const CallPtr& call);
  void Summarize(const CallPtr& call);
  // The governed model for one call's request; the call's client leaving cancels it.
  // The governed generator for `model`, or for the server's default for `job`.
  std::shared_ptr<GovernedGenerator> ModelFor(const CallPtr& call, gateway::Job job,
                                              const std::string& model);

  ApiServices s_;
  boost::asio::thread_pool& blocking_;
  boost::asio::thread_pool ingest_{1};  // upload jobs: searches never wait behind them
  // Synchronous uploads (parsing, OCR) on threads of their own, so a slow
  // file never holds up searches, and at most kMaxQueuedBytes of them in memory.
  boost::asio::thread_pool uploads_{2};
  std::atomic<size_t> upload_bytes_{0};
  knowledge::Assistant assistant_;
  // Answers and summaries wait for the model here, never on the I/O or the
  // blocking pool's thread; more than the schedulers' slots, so queued
  // model calls are what waits.
  boost::asio::thread_pool assistant_pool_{8};
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> queued_bytes_{0};
  // Upload bytes held in memory at once, per kind (jobs, synchronous uploads).
  static constexpr size_t kMaxQueuedBytes = size_t{512} << 20;
};

}  // namespace daulat::http
