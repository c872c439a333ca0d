#include "gateway/content_log.h"

#include <chrono>

#include "common/clock.h"
#include "common/log.h"

namespace daulat::gateway {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1, "content kept where policy says full",
     "CREATE TABLE content_log (tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, time INTEGER "
     "NOT NULL, classification TEXT NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL, "
     "expires_at INTEGER NOT NULL);"
     "CREATE INDEX content_log_by_tenant ON content_log (tenant_id, time);"
     "CREATE INDEX content_log_by_expiry ON content_log (expires_at);"},
};

}  // namespace

Result<std::unique_ptr<ContentLog>> ContentLog::Open(store::Database& db, const Clock& clock) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("content_log", kMigrations));
  auto log = std::unique_ptr<ContentLog>(new ContentLog(db, clock));
  log->thread_ = std::thread([raw = log.get()] { raw->Run(); });
  return log;
}

ContentLog::~ContentLog() {
  Stop();
}

void ContentLog::OnComplete(const RequestContext& ctx) {
  // Whatever the route: a request that reached a model under a policy that
  // keeps its content.
  if (ctx.policy_version < 0 || ctx.rules.content_logging != governance::ContentLogging::kFull ||
      ctx.http_status == 0 || (ctx.contents.empty() && ctx.output_text.empty()))
    return;
  Entry e;
  e.tenant_id = ctx.caller.principal.tenant_id;
  e.request_id = ctx.request_id;
  e.classification = std::string(ClassificationName(ctx.classification));
  for (const auto& c : ctx.contents) e.prompt += (e.prompt.empty() ? "" : "\n") + c;
  e.answer = ctx.output_text;
  e.time = clock_.Seconds();
  e.expires_at = e.time + ctx.rules.retention_days * 86400;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    QueueLocked(std::move(e));
  }
}

void ContentLog::QueueLocked(Entry e) {
  if (queue_.size() >= kMaxQueued) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(std::move(e));
}

int64_t ContentLog::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

Status ContentLog::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::deque<Entry> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
  }
  Status st = Write(batch);
  if (!st.ok()) {
    // Back in front of what came since, in order, for the next flush.
    std::lock_guard lock(mu_);
    while (!batch.empty()) {
      if (queue_.size() >= kMaxQueued) {
        dropped_ += static_cast<int64_t>(batch.size());
        break;
      }
      queue_.push_front(std::move(batch.back()));
      batch.pop_back();
    }
  }
  return st;
}

Status ContentLog::Write(const std::deque<Entry>& batch) {
  auto tx = db_.Begin();
  if (!tx.ok()) return tx.status();
  for (const auto& e : batch) {
    DAULAT_RETURN_IF_ERROR((*tx)->Execute(
        "INSERT INTO content_log (tenant_id, request_id, time, classification, prompt, answer, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {e.tenant_id, e.request_id, e.time, e.classification, e.prompt, e.answer, e.expires_at}));
  }
  DAULAT_RETURN_IF_ERROR(
      (*tx)->Execute("DELETE FROM content_log WHERE expires_at <= ?", {clock_.Seconds()}));
  return (*tx)->Commit();
}

void ContentLog::Run() {
  RepeatedFailure failures("writing the content log to the database");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    lock.unlock();
    if (Status st = Flush(); st.ok()) {
      failures.Succeeded();
    } else {
      failures.Failed(st.ToString());
    }
    lock.lock();
  }
}

void ContentLog::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status st = Flush(); !st.ok()) spdlog::error("content log flush failed: {}", st.ToString());
}

}  // namespace daulat::gateway
