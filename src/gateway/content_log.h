#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/pipeline.h"
#include "store/database.h"

namespace daulat::gateway {

// Content logging where a tenant's policy says "full": the request's texts
// (as the model saw them, i.e. after masking) and the answer, per tenant,
// kept for the level's retention_days and then deleted. Kept apart from the
// append-only audit log so that retention and erasure can remove it; the
// audit record carries its hash either way. Writes happen on a background
// thread once a second, which also deletes expired rows. Thread-safe.
class ContentLog : public Stage {
 public:
  static Result<std::unique_ptr<ContentLog>> Open(store::Database& db,
                                                  const Clock& clock = SystemClock());
  ~ContentLog() override;
  std::string_view name() const override { return "content_log"; }
  Status OnRequest(RequestContext& /*ctx*/) override { return Status::Ok(); }
  void OnComplete(const RequestContext& ctx) override;

  // Writes what is queued and deletes what has expired. What a failed write
  // held stays queued for the next flush (a database restarting or failing
  // over loses nothing), up to kMaxQueued entries; past that the oldest
  // are dropped and counted.
  Status Flush();
  int64_t dropped() const;

  static constexpr size_t kMaxQueued = 100000;
  void Stop();

 private:
  ContentLog(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  void Run();
  struct Entry {
    std::string tenant_id, request_id, classification, prompt, answer;
    int64_t time = 0, expires_at = 0;
  };
  store::Database& db_;
  const Clock& clock_;
  void QueueLocked(Entry e);
  Status Write(const std::deque<Entry>& batch);
  std::mutex flush_mu_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Entry> queue_;  // GUARDED_BY(mu_)
  int64_t dropped_ = 0;      // GUARDED_BY(mu_)
  bool stopping_ = false;    // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace daulat::gateway
