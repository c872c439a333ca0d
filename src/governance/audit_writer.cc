#include "governance/audit_writer.h"

#include "common/log.h"

namespace daulat::governance {

AuditWriter::AuditWriter(AuditLog& log, std::chrono::milliseconds checkpoint_every,
                         size_t max_queue)
    : log_(log),
      checkpoint_every_(checkpoint_every),
      max_queue_(max_queue),
      thread_([this] { Run(); }) {}

AuditWriter::~AuditWriter() {
  Stop();
}

bool AuditWriter::Submit(AuditRecord record, Written written) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < max_queue_) {
      queue_.emplace_back(std::move(record), std::move(written));
      ++submitted_;
      wake_.notify_one();
      return true;
    }
  }
  // Logged at 1, 2, 4, 8, ... drops: a flood of them must not flood the log too.
  const uint64_t n = ++dropped_;
  if ((n & (n - 1)) == 0)
    spdlog::error("audit: {} records dropped so far (the writer is stopping or its queue is full)",
                  n);
  if (written) written(false);
  return false;
}

bool AuditWriter::healthy() const {
  std::lock_guard lock(mu_);
  return last_batch_written_.load() && !stopping_ && queue_.size() < max_queue_;
}

Status AuditWriter::last_failure() const {
  std::lock_guard lock(mu_);
  return last_failure_;
}

void AuditWriter::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = submitted_;
  wake_.notify_one();
  done_.wait(lock,
             [this, target] { return written_.load() + failed_.load() >= target || exited_; });
}

void AuditWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AuditWriter::Run() {
  auto next_checkpoint = std::chrono::steady_clock::now() + checkpoint_every_;
  uint64_t checkpointed = log_.size();
  while (true) {
    std::vector<AuditRecord> batch;
    std::vector<Written> told;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_checkpoint, [this] { return stopping_ || !queue_.empty(); });
      stop = stopping_;
      while (!queue_.empty() && batch.size() < 4096) {
        batch.push_back(std::move(queue_.front().first));
        if (queue_.front().second) told.push_back(std::move(queue_.front().second));
        queue_.pop_front();
      }
    }
    if (!batch.empty()) {
      const size_t n = batch.size();
      auto r = log_.AppendBatch(std::move(batch));
      {
        std::lock_guard lock(mu_);
        if (r.ok()) {
          written_ += n;
        } else {
          failed_ += n;
        }
        last_batch_written_ = r.ok();
        last_failure_ = r.ok() ? Status::Ok() : r.status();
      }
      done_.notify_all();
      if (!r.ok())
        spdlog::error("audit: {} records could not be written: {}", n, r.status().message());
      for (auto& written : told) written(r.ok());
    }
    const bool due = std::chrono::steady_clock::now() >= next_checkpoint;
    bool drained = false;
    {
      std::lock_guard lock(mu_);
      drained = queue_.empty();
    }
    if ((due || (stop && drained)) && log_.size() != checkpointed) {
      if (auto c = log_.Checkpoint(); c.ok()) {
        checkpointed = log_.size();
      } else {
        spdlog::error("audit: checkpoint failed: {}", c.status().message());
      }
    }
    if (due) next_checkpoint = std::chrono::steady_clock::now() + checkpoint_every_;
    if (stop && drained) {
      std::lock_guard lock(mu_);
      exited_ = true;
      done_.notify_all();
      return;
    }
  }
}

}  // namespace daulat::governance
