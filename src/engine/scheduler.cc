#include "engine/scheduler.h"

#include <llama.h>

#include <algorithm>

#include "common/log.h"
#include "engine/llama_runtime.h"
#include "engine/text_stream.h"

namespace daulat::engine {
namespace {

using SteadyClock = std::chrono::steady_clock;

double MsBetween(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

size_t CommonPrefix(const std::vector<Token>& a, const std::vector<Token>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

struct Scheduler::Pending {
  InferenceRequest request;
  UpdateSink sink;
  std::shared_ptr<InferenceTicket> ticket;
  std::unique_ptr<Sampler> sampler;
  SteadyClock::time_point submitted;
  std::optional<double> deadline;  // on the scheduler's clock
};

struct Scheduler::Slot {
  llama_seq_id seq = 0;
  std::string partition;      // whose tokens `cached` holds
  std::vector<Token> cached;  // tokens whose KV cells belong to this sequence
  uint64_t last_used = 0;
  std::optional<Pending> active;  // the request being served, if any
  std::unique_ptr<TextStream> stream;
  GenerationStats stats;
  size_t prefill_pos = 0;  // next prompt token to decode
  bool generating = false;
  Token pending = 0;    // sampled, not yet decoded
  size_t in_batch = 0;  // tokens this slot put into the current batch
  int32_t logits_index = -1;
  SteadyClock::time_point admitted, first_token;
};

Status SchedulerOptions::Validate() const {
  if (parallel < 1 || parallel > 256) return InvalidArgument("parallel must be 1 to 256");
  if (context_length < 64 * parallel)
    return InvalidArgument("context_length must give each sequence at least 64 tokens");
  if (step_tokens < parallel || step_tokens > 16384)
    return InvalidArgument("step_tokens must be at least parallel and at most 16384");
  if (max_queue > 1000000) return InvalidArgument("max_queue is too large");
  if (threads < 0 || threads > 512) return InvalidArgument("threads must be 0 (auto) to 512");
  return Status::Ok();
}

Scheduler::Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& options)
    : model_(std::move(model)),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : SystemClock()) {}

Result<std::unique_ptr<Scheduler>> Scheduler::Start(std::shared_ptr<const Model> model,
                                                    const SchedulerOptions& options) {
  DAULAT_RETURN_IF_ERROR(options.Validate());
  EnsureLlamaRuntime();
  auto s = std::unique_ptr<Scheduler>(new Scheduler(std::move(model), options));
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto pool = CpuThreadPool::Create(threads);
  if (!pool.ok()) return pool.status();
  s->threads_ = std::move(pool).value();
  llama_context_params params = llama_context_default_params();
  params.n_ctx = options.context_length;
  params.n_batch = options.step_tokens;
  params.n_ubatch = std::min<uint32_t>(options.step_tokens, 512);
  params.n_seq_max = options.parallel;
  params.kv_unified = true;  // one pool of cells: a shared prefix is stored once
  params.flash_attn_type = kFlashAttention;
  params.n_threads = threads;
  params.n_threads_batch = threads;
  params.no_perf = true;
  s->ctx_ = llama_init_from_model(s->model_->raw(), params);
  if (s->ctx_ == nullptr)
    return ResourceExhausted("could not create a context of " +
                             std::to_string(options.context_length) + " tokens (out of memory?)");
  s->threads_->AttachTo(s->ctx_);
  s->batch_ = std::make_unique<llama_batch>(
      llama_batch_init(static_cast<int32_t>(options.step_tokens), 0, 1));
  s->slots_.resize(options.parallel);
  for (uint32_t i = 0; i < options.parallel; ++i) s->slots_[i].seq = static_cast<llama_seq_id>(i);
  s->stats_.kv_cells_total = llama_n_ctx(s->ctx_);
  s->loop_ = std::thread([raw = s.get()] { raw->Loop(); });
  return s;
}

Scheduler::~Scheduler() {
  Stop(/*drain=*/false);
  if (ctx_ != nullptr) llama_free(ctx_);
  if (batch_) llama_batch_free(*batch_);
}

Result<std::shared_ptr<InferenceTicket>> Scheduler::Submit(InferenceRequest request,
                                                           UpdateSink sink) {
  if (request.prompt.empty()) return InvalidArgument("the prompt is empty");
  const uint32_t limit = options_.per_sequence_limit();
  if (request.prompt.size() >= limit) {
    return InvalidArgument("the prompt has " + std::to_string(request.prompt.size()) +
                           " tokens but one request's context window holds " +
                           std::to_string(limit));
  }
  DAULAT_RETURN_IF_ERROR(request.params.Validate());
  auto sampler = Sampler::Create(*model_, request.params);
  if (!sampler.ok()) return sampler.status();
  (*sampler)->AcceptHistory(request.prompt);
  auto ticket = std::make_shared<InferenceTicket>();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("the model is shutting down");
    if (queue_.size() >= options_.max_queue) {
      return ResourceExhausted("the request queue is full (" + std::to_string(options_.max_queue) +
                               " waiting)");
    }
    std::optional<double> deadline;
    if (request.timeout_seconds) deadline = clock_.Monotonic() + *request.timeout_seconds;
    queue_.push_back(Pending{std::move(request), std::move(sink), ticket,
                             std::move(sampler).value(), SteadyClock::now(), deadline});
  }
  wake_.notify_one();
  return ticket;
}

void Scheduler::Stop(bool drain) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      drain_ = drain;
    }
  }
  wake_.notify_all();
  if (loop_.joinable()) loop_.join();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mu_);
  SchedulerStats s = stats_;
  s.queued = queue_.size();
  return s;
}

void Scheduler::ClearSlot(Slot& slot) {
  llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, -1, -1);
  slot.cached.clear();
  slot.partition.clear();
}

void Scheduler::Finish(Slot& slot, Status status, FinishReason reason) {
  Pending& p = *slot.active;
  InferenceUpdate last;
  if (status.ok() && reason != FinishReason::kCancelled) last.text = slot.stream->Finish();
  last.finished = true;
  last.status = std::move(status);
  last.finish_reason = reason;
  const auto now = SteadyClock::now();
  if (slot.generating) slot.stats.generation_ms = MsBetween(slot.first_token, now);
  last.stats = slot.stats;
  {
    std::lock_guard lock(mu_);
    --stats_.active;
    ++stats_.requests_total;
    stats_.prompt_tokens_total += slot.stats.prompt_tokens;
    stats_.reused_prompt_tokens_total += slot.stats.reused_prompt_tokens;
    stats_.completion_tokens_total += slot.stats.completion_tokens;
  }
  p.sink(std::move(last));
  slot.active.reset();
  slot.stream.reset();
  slot.generating = false;
  slot.last_used = ++lru_tick_;
}

Scheduler::Slot* Scheduler::PrepareSlot(const InferenceRequest& request, size_t& reuse) {
  const auto& prompt = request.prompt;
  const size_t max_reuse =
      prompt.size() - 1;  // the last prompt token is always decoded for its logits
  // The free slot to serve it: the one holding the longest prefix of this
  // partition's prompt, otherwise the least recently used.
  Slot* target = nullptr;
  size_t target_reuse = 0;
  Slot* donor = nullptr;
  size_t donor_reuse = 0;
  for (auto& slot : slots_) {
    const size_t r = slot.partition == request.partition
                         ? std::min(CommonPrefix(slot.cached, prompt), max_reuse)
                         : 0;
    if (r > donor_reuse) {
      donor = &slot;
      donor_reuse = r;
    }
    if (slot.active) continue;
    if (target == nullptr || r > target_reuse ||
        (r == target_reuse && slot.last_used < target->last_used)) {
      target = &slot;
      target_reuse = r;
    }
  }
  if (target == nullptr) return nullptr;
  Slot& slot = *target;
  llama_memory_t mem = llama_get_memory(ctx_);
  reuse = target_reuse;
  if (donor != nullptr && donor != target && donor_reuse > target_reuse) {
    // Share the donor's cells for the common prefix instead of recomputing it.
    llama_memory_seq_rm(mem, slot.seq, -1, -1);
    llama_memory_seq_cp(mem, donor->seq, slot.seq, 0, static_cast<llama_pos>(donor_reuse));
    slot.cached.assign(prompt.begin(), prompt.begin() + static_cast<long>(donor_reuse));
    reuse = donor_reuse;
  } else if (reuse == 0) {
    llama_memory_seq_rm(mem, slot.seq, -1, -1);
    slot.cached.clear();
  } else if (llama_memory_seq_rm(mem, slot.seq, static_cast<llama_pos>(reuse), -1)) {
    slot.cached.resize(reuse);
  } else {  // e.g. a sliding-window cache cannot drop a suffix
    llama_memory_seq_rm(mem, slot.seq, -1, -1);
    slot.cached.clear();
    reuse = 0;
  }
  return target;
}

void Scheduler::Admit() {
  std::vector<Pending> dropped;
  {
    std::lock_guard lock(mu_);
    while (!queue_.empty()) {
      Pending& next = queue_.front();
      if (next.ticket->cancelled()) {
        dropped.push_back(std::move(next));
        queue_.pop_front();
        continue;
      }
      const auto& prompt = next.request.prompt;
      size_t reuse = 0;
      Slot* target = PrepareSlot(next.request, reuse);
      if (target == nullptr) break;  // every slot is busy
      Slot& slot = *target;
      slot.partition = next.request.partition;
      slot.stream = std::make_unique<TextStream>(next.request.params.stop);
      slot.stats = GenerationStats{};
      slot.stats.prompt_tokens = prompt.size();
      slot.stats.reused_prompt_tokens = reuse;
      slot.admitted = SteadyClock::now();
      slot.stats.queued_ms = MsBetween(next.submitted, slot.admitted);
      slot.prefill_pos = reuse;
      slot.generating = false;
      slot.active = std::move(next);
      queue_.pop_front();
      ++stats_.active;
    }
  }
  for (auto& p : dropped) {
    InferenceUpdate u;
    u.finished = true;
    u.finish_reason = FinishReason::kCancelled;
    p.sink(std::move(u));
  }
}

void Scheduler::EndExpired() {
  for (auto& slot : slots_) {
    if (!slot.active) continue;
    if (slot.active->ticket->cancelled()) {
      Finish(slot, Status::Ok(), FinishReason::kCancelled);
    } else if (slot.active->deadline && clock_.Monotonic() > *slot.active->deadline) {
      Finish(slot, DeadlineExceeded("the request's deadline passed"), FinishReason::kCancelled);
    }
  }
}

void Scheduler::FillBatch() {
  llama_batch& batch = *batch_;
  batch.n_tokens = 0;
  const auto add = [&](Token token, Slot& slot, bool logits) {
    const int32_t i = batch.n_tokens++;
    batch.token[i] = token;
    batch.pos[i] = static_cast<llama_pos>(slot.cached.size() + slot.in_batch);
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = slot.seq;
    batch.logits[i] = logits ? 1 : 0;
    ++slot.in_batch;
    if (logits) slot.logits_index = i;
  };
  for (auto& slot : slots_) {
    slot.in_batch = 0;
    slot.logits_index = -1;
    if (slot.active && slot.generating) add(slot.pending, slot, true);
  }
  // Prompt chunks share what is left of the step budget, starting from a
  // rotating slot so that no long prompt monopolises the steps.
  auto budget = static_cast<size_t>(options_.step_tokens) - static_cast<size_t>(batch.n_tokens);
  const size_t n_slots = slots_.size();
  for (size_t k = 0; k < n_slots && budget > 0; ++k) {
    Slot& slot = slots_[(next_prefill_ + k) % n_slots];
    if (!slot.active || slot.generating) continue;
    const auto& prompt = slot.active->request.prompt;
    const size_t take = std::min(budget, prompt.size() - slot.prefill_pos);
    for (size_t j = 0; j < take; ++j) {
      const size_t pos = slot.prefill_pos + j;
      add(prompt[pos], slot, pos + 1 == prompt.size());
    }
    budget -= take;
  }
  next_prefill_ = (next_prefill_ + 1) % n_slots;
}

void Scheduler::FailBatch(int32_t rc) {
  spdlog::error("llama_decode failed with code {} for a batch of {} tokens", rc, batch_->n_tokens);
  for (auto& slot : slots_) {
    if (slot.active && slot.in_batch > 0) {
      Finish(slot,
             Internal("the model failed to process the request (llama_decode " +
                      std::to_string(rc) + ")"),
             FinishReason::kStop);
      ClearSlot(slot);
    }
  }
}

void Scheduler::KeepDecoded() {
  for (auto& slot : slots_) {
    if (!slot.active || slot.in_batch == 0) continue;
    if (slot.generating) {
      slot.cached.push_back(slot.pending);
    } else {
      const auto& prompt = slot.active->request.prompt;
      slot.cached.insert(slot.cached.end(), prompt.begin() + static_cast<long>(slot.prefill_pos),
                         prompt.begin() + static_cast<long>(slot.prefill_pos + slot.in_batch));
      slot.prefill_pos += slot.in_batch;
    }
  }
}

void Scheduler::SampleNext(Slot& slot) {
  Pending& p = *slot.active;
  if (!slot.generating) {
    slot.generating = true;
    slot.first_token = SteadyClock::now();
    slot.stats.prompt_ms = MsBetween(slot.admitted, slot.first_token);
  }
  const auto sampled = p.sampler->Sample(ctx_, slot.logits_index);
  if (!sampled.ok()) return Finish(slot, sampled.status(), FinishReason::kStop);
  const Token token = *sampled;
  if (!p.request.params.ignore_eos && model_->IsEndOfGeneration(token))
    return Finish(slot, Status::Ok(), FinishReason::kStop);
  ++slot.stats.completion_tokens;
  std::string text = slot.stream->Push(model_->TokenPiece(token));
  if (!text.empty()) {
    InferenceUpdate u;
    u.text = std::move(text);
    p.sink(std::move(u));
  }
  const int32_t max_tokens = p.request.params.max_tokens;
  if (slot.stream->stopped()) {
    Finish(slot, Status::Ok(), FinishReason::kStop);
  } else if ((max_tokens > 0 && slot.stats.completion_tokens >= static_cast<size_t>(max_tokens)) ||
             slot.cached.size() + 1 >= options_.per_sequence_limit()) {
    Finish(slot, Status::Ok(), FinishReason::kLength);
  } else {
    slot.pending = token;
  }
}

bool Scheduler::Step() {
  EndExpired();
  FillBatch();
  if (batch_->n_tokens == 0) return false;
  if (const int32_t rc = llama_decode(ctx_, *batch_); rc != 0) {
    FailBatch(rc);
    return true;
  }
  KeepDecoded();
  for (auto& slot : slots_) {
    if (slot.active && slot.logits_index >= 0) SampleNext(slot);
  }
  std::lock_guard lock(mu_);
  uint32_t used = 0;
  for (const auto& slot : slots_) used += static_cast<uint32_t>(slot.cached.size());
  stats_.kv_cells_used = std::min(used, stats_.kv_cells_total);
  return true;
}

void Scheduler::Loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && !drain_) break;
    }
    Admit();
    bool worked = false;
    try {
      worked = Step();
    } catch (const std::exception& e) {
      // A library or sink failure ends the requests in flight, never the server.
      spdlog::error("scheduler step failed: {}", e.what());
      for (auto& slot : slots_) {
        if (!slot.active) continue;
        Finish(slot, Internal(std::string("generation failed: ") + e.what()), FinishReason::kStop);
        ClearSlot(slot);
      }
      worked = true;
    }
    if (worked) continue;
    // Nothing active, so Admit found the queue empty.
    std::unique_lock lock(mu_);
    if (stopping_) break;
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  }
  // Not draining: whatever is left is cancelled, and told so.
  std::deque<Pending> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (auto& p : left) p.ticket->Cancel();
  for (auto& slot : slots_) {
    if (slot.active) Finish(slot, Status::Ok(), FinishReason::kCancelled);
  }
  for (auto& p : left) {
    InferenceUpdate u;
    u.finished = true;
    u.finish_reason = FinishReason::kCancelled;
    p.sink(std::move(u));
  }
}

}  // namespace daulat::engine
