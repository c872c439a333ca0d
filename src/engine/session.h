#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/cancellation.h"
#include "engine/cpu_threadpool.h"
#include "engine/model.h"
#include "engine/sampling.h"

struct llama_batch;
struct llama_context;

namespace daulat::engine {

struct SessionOptions {
  uint32_t context_length = 4096;  // tokens; 0 = the model's training length
  uint32_t batch_size = 512;       // prompt tokens per forward pass
  int threads = 0;                 // 0 = all hardware threads

  Status Validate() const;
};

enum class FinishReason { kStop, kLength, kCancelled };
std::string_view FinishReasonName(FinishReason reason);  // "stop", "length", "cancelled"

struct GenerationStats {
  size_t prompt_tokens = 0;
  size_t reused_prompt_tokens = 0;  // served from the KV cache of the previous turn
  size_t completion_tokens = 0;
  double queued_ms = 0;      // waiting for a free sequence (scheduler only)
  double prompt_ms = 0;      // prefill wall time
  double generation_ms = 0;  // first sampled token to the end
};

struct GenerationResult {
  std::string text;
  FinishReason finish_reason = FinishReason::kStop;
  GenerationStats stats;
};

// Called with each piece of visible text as soon as it is safe to show.
using TextCallback = std::function<void(std::string_view)>;

// One llama context running one sequence: the engine for the CLI and the unit
// of reuse for chat. The KV cache of the previous generation is kept, and a new
// prompt that starts with the same tokens (the next chat turn) only computes
// the new suffix.
// Thread-safety: one Generate at a time; `cancel` may be set from any thread.
class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Errors: INVALID_ARGUMENT (empty prompt, bad params, prompt does not fit
  // the context window), INTERNAL (libllama failure).
  // Cancellation is not an error: the result has finish_reason kCancelled.
  Result<GenerationResult> Generate(const std::vector<Token>& prompt, const SamplingParams& params,
                                    const TextCallback& on_text = nullptr,
                                    const CancellationToken* cancel = nullptr);

  // Forgets the cached prefix (the next Generate computes its whole prompt).
  void Reset();
  uint32_t context_length() const;
  const Model& model() const { return *model_; }

 private:
  Session(std::shared_ptr<const Model> model, llama_context* ctx, uint32_t batch_size);
  // Decodes tokens at positions cached_.size()...; logits only for the last.
  Status Decode(const Token* tokens, size_t n, const CancellationToken* cancel);
  static bool AbortRequested(void* self);

  std::shared_ptr<const Model> model_;
  std::unique_ptr<CpuThreadPool> threads_;  // outlives ctx_ (declared first)
  llama_context* ctx_;
  uint32_t batch_size_;
  std::unique_ptr<llama_batch> batch_;  // reused by every Decode
  std::vector<Token> cached_;           // tokens whose KV entries are in sequence 0
  const CancellationToken* active_cancel_ = nullptr;
};

}  // namespace daulat::engine
