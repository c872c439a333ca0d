#include "engine/session.h"

#include <llama.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/llama_runtime.h"
#include "engine/text_stream.h"

namespace daulat::engine {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Status SessionOptions::Validate() const {
  if (context_length != 0 && context_length < 16)
    return InvalidArgument("context length must be at least 16 tokens");
  if (context_length > (1u << 20))
    return InvalidArgument("context length must be at most 1048576 tokens");
  if (batch_size < 1 || batch_size > 8192) return InvalidArgument("batch size must be 1 to 8192");
  if (threads < 0 || threads > 512) return InvalidArgument("threads must be 0 (auto) to 512");
  return Status::Ok();
}

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "stop";
}

Result<std::unique_ptr<Session>> Session::Create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options) {
  DAULAT_RETURN_IF_ERROR(options.Validate());
  EnsureLlamaRuntime();
  llama_context_params params = llama_context_default_params();
  uint32_t n_ctx = options.context_length;
  const auto train = static_cast<uint32_t>(std::max(model->train_context_length(), 0));
  if (n_ctx == 0 || (train > 0 && n_ctx > train)) n_ctx = train;
  params.n_ctx = n_ctx;
  params.n_batch = std::min(options.batch_size, n_ctx);
  params.n_ubatch = params.n_batch;
  params.n_seq_max = 1;
  params.flash_attn_type = kFlashAttention;
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  params.n_threads = threads;
  params.n_threads_batch = threads;
  params.no_perf = true;
  auto pool = CpuThreadPool::Create(threads);
  if (!pool.ok()) return pool.status();
  auto session = std::unique_ptr<Session>(new Session(std::move(model), nullptr, params.n_batch));
  session->threads_ = std::move(pool).value();
  params.abort_callback = &Session::AbortRequested;
  params.abort_callback_data = session.get();
  session->ctx_ = llama_init_from_model(session->model_->raw(), params);
  if (session->ctx_ == nullptr) {
    return ResourceExhausted("could not create a context of " + std::to_string(n_ctx) +
                             " tokens (out of memory?)");
  }
  session->threads_->AttachTo(session->ctx_);
  return session;
}

Session::Session(std::shared_ptr<const Model> model, llama_context* ctx, uint32_t batch_size)
    : model_(std::move(model)),
      ctx_(ctx),
      batch_size_(batch_size),
      batch_(
          std::make_unique<llama_batch>(llama_batch_init(static_cast<int32_t>(batch_size), 0, 1))) {
}

Session::~Session() {
  if (ctx_ != nullptr) llama_free(ctx_);
  llama_batch_free(*batch_);
}

bool Session::AbortRequested(void* self) {
  const auto* cancel = static_cast<Session*>(self)->active_cancel_;
  return cancel != nullptr && cancel->cancelled();
}

uint32_t Session::context_length() const {
  return llama_n_ctx(ctx_);
}

void Session::Reset() {
  llama_memory_clear(llama_get_memory(ctx_), true);
  cached_.clear();
}

Status Session::Decode(const Token* tokens, size_t n, const CancellationToken* cancel) {
  active_cancel_ = cancel;
  llama_batch& batch = *batch_;
  Status status;
  for (size_t done = 0; done < n && status.ok();) {
    const size_t chunk = std::min<size_t>(batch_size_, n - done);
    batch.n_tokens = static_cast<int32_t>(chunk);
    for (size_t i = 0; i < chunk; ++i) {
      batch.token[i] = tokens[done + i];
      batch.pos[i] = static_cast<llama_pos>(cached_.size() + i);
      batch.n_seq_id[i] = 1;
      batch.seq_id[i][0] = 0;
      batch.logits[i] = (done + i + 1 == n) ? 1 : 0;
    }
    const int32_t rc = llama_decode(ctx_, batch);
    if (rc == 2) {
      status = Cancelled("generation cancelled");
      break;
    }
    if (rc != 0) {
      status = Internal("llama_decode failed with code " + std::to_string(rc));
      break;
    }
    cached_.insert(cached_.end(), tokens + done, tokens + done + chunk);
    done += chunk;
  }
  active_cancel_ = nullptr;
  if (!status.ok()) Reset();  // a partial batch leaves the KV cache in an unknown state
  return status;
}

Result<GenerationResult> Session::Generate(const std::vector<Token>& prompt,
                                           const SamplingParams& params,
                                           const TextCallback& on_text,
                                           const CancellationToken* cancel) {
  if (prompt.empty()) return InvalidArgument("the prompt is empty");
  DAULAT_RETURN_IF_ERROR(params.Validate());
  const size_t n_ctx = context_length();
  if (prompt.size() >= n_ctx) {
    return InvalidArgument("the prompt has " + std::to_string(prompt.size()) +
                           " tokens but the context window holds " + std::to_string(n_ctx) +
                           " (shorten it or raise the context length)");
  }
  GenerationResult result;
  result.stats.prompt_tokens = prompt.size();

  // Reuse the longest cached prefix; at least the last prompt token is decoded
  // again so that its logits exist.
  size_t keep = 0;
  while (keep < cached_.size() && keep + 1 < prompt.size() && cached_[keep] == prompt[keep]) ++keep;
  if (keep < cached_.size()) {
    if (llama_memory_seq_rm(llama_get_memory(ctx_), 0, static_cast<llama_pos>(keep), -1)) {
      cached_.resize(keep);
    } else {
      Reset();  // e.g. a sliding-window cache cannot drop a suffix
      keep = 0;
    }
  }
  result.stats.reused_prompt_tokens = keep;

  const auto t_prompt = std::chrono::steady_clock::now();
  Status st = Decode(prompt.data() + keep, prompt.size() - keep, cancel);
  result.stats.prompt_ms = MsSince(t_prompt);
  if (st.code() == StatusCode::kCancelled) {
    result.finish_reason = FinishReason::kCancelled;
    return result;
  }
  DAULAT_RETURN_IF_ERROR(st);

  auto sampler_or = Sampler::Create(*model_, params);
  if (!sampler_or.ok()) return sampler_or.status();
  Sampler& sampler = **sampler_or;
  sampler.AcceptHistory(prompt);
  TextStream stream(params.stop);
  const auto emit = [&](const std::string& text) {
    if (text.empty()) return;
    result.text += text;
    if (on_text) on_text(text);
  };
  const auto t_gen = std::chrono::steady_clock::now();
  const size_t limit = params.max_tokens > 0 ? static_cast<size_t>(params.max_tokens) : SIZE_MAX;
  result.finish_reason = FinishReason::kLength;
  while (true) {
    if (cancel != nullptr && cancel->cancelled()) {
      result.finish_reason = FinishReason::kCancelled;
      break;
    }
    const auto sampled = sampler.Sample(ctx_, -1);
    if (!sampled.ok()) return sampled.status();
    const Token token = *sampled;
    if (!params.ignore_eos && model_->IsEndOfGeneration(token)) {
      result.finish_reason = FinishReason::kStop;
      break;
    }
    ++result.stats.completion_tokens;
    emit(stream.Push(model_->TokenPiece(token)));
    if (stream.stopped()) {
      result.finish_reason = FinishReason::kStop;
      break;
    }
    if (result.stats.completion_tokens >= limit || cached_.size() + 1 >= n_ctx) break;
    st = Decode(&token, 1, cancel);
    if (st.code() == StatusCode::kCancelled) {
      result.finish_reason = FinishReason::kCancelled;
      break;
    }
    DAULAT_RETURN_IF_ERROR(st);
  }
  emit(stream.Finish());
  result.stats.generation_ms = MsSince(t_gen);
  return result;
}

}  // namespace daulat::engine
