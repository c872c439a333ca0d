#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "governance/audit_log.h"

namespace daulat::governance {

// Writes audit records from a background thread in group commits, so request
// threads (and the engine's scheduler thread) never wait for an fsync (a
// caller that must know its record is kept asks to be told), and
// signs a checkpoint every `checkpoint_every` when the log grew. Stop() (and
// the destructor) writes what is queued and a final checkpoint.
// Thread-safe: Submit may be called from any thread.
class AuditWriter {
 public:
  AuditWriter(AuditLog& log, std::chrono::milliseconds checkpoint_every = std::chrono::seconds(60),
              size_t max_queue = 100000);
  ~AuditWriter();

  // Told once whether the record was written: from the writer thread after
  // its batch, or at once (false) when the queue is full or the writer stopped.
  using Written = std::function<void(bool written)>;
  // False (and counted in dropped()) when the queue is full.
  bool Submit(AuditRecord record, Written written = {});
  // False from a batch that failed until one is written again, and while
  // the queue is full or the writer is stopping: new work should be refused.
  bool healthy() const;
  // Why the last batch failed (OK when it was written): a full disk and a
  // database error call for different operators' actions.
  Status last_failure() const;
  // Waits until every record submitted before the call is written (or failed).
  void Flush();
  void Stop();
  uint64_t written() const { return written_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t failed() const { return failed_.load(); }

 private:
  void Run();

  AuditLog& log_;
  std::chrono::milliseconds checkpoint_every_;
  size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;                       // a batch was written
  std::deque<std::pair<AuditRecord, Written>> queue_;  // GUARDED_BY(mu_)
  uint64_t submitted_ = 0;                             // GUARDED_BY(mu_)
  bool exited_ = false;                                // GUARDED_BY(mu_)
  bool stopping_ = false;                              // GUARDED_BY(mu_)
  std::atomic<uint64_t> written_{0}, dropped_{0}, failed_{0};
  std::atomic<bool> last_batch_written_{true};
  Status last_failure_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace daulat::governance
