// Lumin's upload jobs over HTTP: several files (or ?async=true) are read in
// the background; /api/v1/jobs tells each file's outcome.

#include <boost/asio/post.hpp>

#include "http/knowledge_api.h"
#include "knowledge/library_json.h"

namespace daulat::http {
KnowledgeApi::~KnowledgeApi() {
  Stop();
}

void KnowledgeApi::Stop() {
  stopping_ = true;
  ingest_.join();
  uploads_.join();
  assistant_pool_.join();
}

void KnowledgeApi::StartJob(const CallPtr& call, const knowledge::DocumentOptions& o,
                            std::vector<std::pair<std::string, std::string>> files) {
  call->ctx.audit_action = "ingestion_job_created";
  if (s_.jobs == nullptr) return call->Fail(FailedPrecondition("upload jobs are not available"));
  size_t bytes = 0;
  for (const auto& f : files) bytes += f.second.size();
  if (queued_bytes_.fetch_add(bytes) + bytes > kMaxQueuedBytes) {
    queued_bytes_ -= bytes;
    return call->Fail(ResourceExhausted("too many uploads are waiting to be read: retry shortly"));
  }
  PostFor(blocking_, call, [this, call, o, files = std::move(files), bytes]() mutable {
    const auto& caller = call->ctx.caller.principal;
    auto collections = s_.library->ListCollections(caller.tenant_id);
    Status st = collections.status();
    if (st.ok() && std::none_of(collections->begin(), collections->end(),
                                [&](const auto& c) { return c.id == o.collection; }))
      st = NotFound("no collection '" + o.collection + "'");
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.first);
    auto job = st.ok() ? s_.jobs->Create(caller.tenant_id, caller.subject, o.collection, names)
                       : Result<knowledge::IngestionJob>(st);
    if (!job.ok()) {
      queued_bytes_ -= bytes;
      return call->Fail(job.status());
    }
    call->ctx.resource = "job:" + job->id;
    call->ctx.decision_reason = std::to_string(files.size()) + " files queued";
    call->ReplyJson(202, knowledge::ToJson(*job), {{"Location", "/api/v1/jobs/" + job->id}});
    boost::asio::post(ingest_, [this, job = std::move(job).value(), reader = ReaderOf(*call), o,
                                files = std::move(files), bytes]() mutable {
      const std::string id = job.id;
      try {
        RunJob(std::move(job), reader, o, files);
      } catch (const std::exception& e) {  // the job stays unfinished; restart marks it interrupted
        spdlog::error("ingestion job {} failed: {}", id, e.what());
      } catch (...) {
        spdlog::error("ingestion job {} failed with an unknown exception", id);
      }
      queued_bytes_ -= bytes;
    });
  });
}

void KnowledgeApi::RunJob(knowledge::IngestionJob job, const knowledge::Reader& uploader,
                          const knowledge::DocumentOptions& o,
                          const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string job_id = job.id;
  s_.jobs->Run(std::move(job), *s_.library, uploader, o, files, stopping_,
               [this, &o, &job_id, &uploader](const knowledge::DocumentInfo& doc) {
                 if (s_.audit_writer == nullptr) return;
                 governance::AuditRecord r;
                 r.tenant_id = uploader.tenant_id;
                 r.actor = o.actor;
                 r.action = "document_added";
                 r.resource = "document:" + doc.id;
                 r.classification = std::string(ClassificationName(o.classification));
                 r.decision = "allow";
                 r.reason = "version " + std::to_string(doc.version) + ", " +
                            std::to_string(doc.chunks) + " chunks, upload job " + job_id;
                 r.content_hash = doc.content_hash;
                 s_.audit_writer->Submit(std::move(r));
               });
}

void KnowledgeApi::GetJob(const CallPtr& call) {
  call->ctx.audit_action = "job_read";
  call->ctx.resource = "job:" + call->params.at(0);
  if (s_.jobs == nullptr) return call->Fail(NotFound("no job '" + call->params.at(0) + "'"));
  const auto& caller = call->ctx.caller.principal;
  auto job = s_.jobs->Get(caller.tenant_id, caller.subject, call->params.at(0));
  if (!job.ok()) return call->Fail(job.status());
  call->ReplyJson(200, knowledge::ToJson(*job));
}

void KnowledgeApi::ListJobs(const CallPtr& call) {
  call->ctx.audit_action = "jobs_read";
  nlohmann::json data = nlohmann::json::array();
  if (s_.jobs != nullptr) {
    const auto& caller = call->ctx.caller.principal;
    auto jobs = s_.jobs->List(caller.tenant_id, caller.subject, 50);
    if (!jobs.ok()) return call->Fail(jobs.status());
    for (const auto& j : *jobs) data.push_back(knowledge::ToJson(j));
  }
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

}  // namespace daulat::http
