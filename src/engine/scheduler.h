#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/cancellation.h"
#include "engine/cpu_threadpool.h"
#include "engine/model.h"
#include "engine/sampling.h"
#include "engine/session.h"

struct llama_batch;
struct llama_context;

namespace daulat::engine {

struct SchedulerOptions {
  uint32_t parallel = 4;            // sequences decoded together (slots)
  uint32_t context_length = 16384;  // KV cells shared by all slots
  uint32_t step_tokens =
      512;                // most tokens per forward pass (prefill chunks + one per generating slot)
  size_t max_queue = 64;  // requests waiting for a slot before Submit refuses
  int threads = 0;        // 0 = all hardware threads
  const Clock* clock = nullptr;  // request timeouts run on it; null: SystemClock()

  Status Validate() const;
  // Longest prompt + answer one request may have: an equal share of the cells,
  // so that every slot can always finish.
  uint32_t per_sequence_limit() const { return context_length / parallel; }
};

struct InferenceRequest {
  // Prompt-cache isolation key (tenant, API key). A cached prefix is reused
  // only by a request with the same partition: one caller's prompt never
  // shapes, or leaks into, another's answer.
  std::string partition;
  std::vector<Token> prompt;
  SamplingParams params;
  // The longest the request may run from Submit (on the scheduler's clock);
  // past it the request ends with DEADLINE_EXCEEDED.
  std::optional<double> timeout_seconds;
};

// What the scheduler reports about a request, in order: zero or more text
// updates, then exactly one final update (finished = true).
struct InferenceUpdate {
  std::string text;  // newly visible text, may be empty
  bool finished = false;
  Status status;  // final only: OK, DEADLINE_EXCEEDED, INTERNAL, ...
  FinishReason finish_reason = FinishReason::kStop;
  GenerationStats stats;
};
// Called on the scheduler's thread: must be quick and must not block (post
// the update to the consumer's own executor).
using UpdateSink = std::function<void(InferenceUpdate&&)>;

// Handle to a submitted request. Cancel() may be called from any thread; the
// final update then carries finish_reason kCancelled.
class InferenceTicket {
 public:
  void Cancel() { cancel_.Cancel(); }
  bool cancelled() const { return cancel_.cancelled(); }

 private:
  CancellationToken cancel_;
};

struct SchedulerStats {
  size_t queued = 0;
  size_t active = 0;
  uint32_t kv_cells_used = 0;
  uint32_t kv_cells_total = 0;
  uint64_t requests_total = 0;
  uint64_t prompt_tokens_total = 0;
  uint64_t reused_prompt_tokens_total = 0;
  uint64_t completion_tokens_total = 0;
};

// Continuous batching for one model: one thread owns one llama context with
// `parallel` sequences. Each step decodes one token for every generating
// sequence plus prompt chunks of waiting ones, under a per-step token budget,
// so long prompts never stall running streams. Prompt prefixes are reused
// from any slot of the same partition (the KV cells are shared, not copied).
// Thread-safe: Submit, stats and Stop may be called from any thread.
class Scheduler {
 public:
  static Result<std::unique_ptr<Scheduler>> Start(std::shared_ptr<const Model> model,
                                                  const SchedulerOptions& options);
  ~Scheduler();  // Stop(/*drain=*/false)
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // INVALID_ARGUMENT: empty or too long prompt, bad parameters or grammar.
  // RESOURCE_EXHAUSTED: the queue is full (retry later). UNAVAILABLE: stopping.
  Result<std::shared_ptr<InferenceTicket>> Submit(InferenceRequest request, UpdateSink sink);

  // Refuses new requests; with drain, lets queued and running ones finish,
  // otherwise cancels them. Blocks until the loop has exited.
  void Stop(bool drain);

  SchedulerStats stats() const;
  const SchedulerOptions& options() const { return options_; }
  const Model& model() const { return *model_; }

 private:
  struct Pending;
  struct Slot;
  Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& options);
  void Loop();
  void Admit();
  // Picks the free slot for `request` (longest same-partition prefix, else
  // least recently used) and readies its KV cache, sharing another slot's
  // prefix cells when that saves more. Sets `reuse` to the prompt tokens
  // already in place. Null when every slot is busy. Loop thread only.
  Slot* PrepareSlot(const InferenceRequest& request, size_t& reuse);
  // One decode step: ends cancelled and expired requests, fills the batch
  // (each generating slot's next token, then prompt chunks within the step
  // budget), decodes it and samples each slot that got logits. False when
  // there was nothing to decode.
  bool Step();
  void EndExpired();
  void FillBatch();
  void FailBatch(int32_t rc);  // every slot in the failed batch ends with INTERNAL
  void KeepDecoded();          // the decoded tokens join each slot's cache
  void SampleNext(Slot& slot);
  void Finish(Slot& slot, Status status, FinishReason reason);
  void ClearSlot(Slot& slot);

  std::shared_ptr<const Model> model_;
  SchedulerOptions options_;
  const Clock& clock_;
  std::unique_ptr<CpuThreadPool> threads_;
  llama_context* ctx_ = nullptr;
  std::unique_ptr<llama_batch> batch_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;      // GUARDED_BY(mu_)
  bool drain_ = false;         // GUARDED_BY(mu_)
  SchedulerStats stats_;       // GUARDED_BY(mu_)

  std::vector<Slot> slots_;  // owned by the loop thread
  uint64_t lru_tick_ = 0;    // loop thread: LRU ticks
  size_t next_prefill_ = 0;  // loop thread: round-robin start for prompt chunks
  std::thread loop_;
};

}  // namespace daulat::engine
