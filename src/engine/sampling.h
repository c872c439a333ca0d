#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/model.h"

struct llama_context;
struct llama_sampler;

namespace daulat::engine {

// How the next token is chosen. Defaults follow llama.cpp's; temperature 0
// means greedy (deterministic) decoding.
struct SamplingParams {
  float temperature = 0.8f;        // [0, 2]
  float top_p = 0.95f;             // (0, 1]; 1 disables
  int32_t top_k = 40;              // >= 0; 0 disables
  float min_p = 0.05f;             // [0, 1]; 0 disables
  float repeat_penalty = 1.0f;     // (0, 10]; 1 disables
  int32_t repeat_last_n = 64;      // tokens the penalties look back over
  float presence_penalty = 0.0f;   // [-2, 2]
  float frequency_penalty = 0.0f;  // [-2, 2]
  std::optional<uint32_t> seed;    // unset: a fresh random seed per generation
  int32_t max_tokens = -1;         // -1: until end of generation or the context is full
  std::vector<std::string> stop;   // up to 16 strings, each 1..256 bytes
  bool ignore_eos = false;         // keep going past end-of-generation (benchmarks)
  std::string grammar;             // GBNF the output must follow ("" = free text)
  // Lazy grammar: free text until one of these regexes matches the output,
  // then the grammar applies from the match on (tool calls in free answers).
  std::vector<std::string> grammar_triggers;

  // INVALID_ARGUMENT naming the first out-of-range field.
  Status Validate() const;
  bool greedy() const { return temperature <= 0.0f; }
};

// Index of the largest logit (the first one on ties; NaNs never win). Two
// vectorisable passes: at Gemma 3's 262k-entry vocabulary a naive loop costs
// about a tenth of CPU generation speed.
Token ArgMax(const float* logits, int32_t n);

// A token-choosing chain for one generation. Not thread-safe.
class Sampler {
 public:
  // INVALID_ARGUMENT when the grammar does not parse.
  static Result<std::unique_ptr<Sampler>> Create(const Model& model, const SamplingParams& params);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Feeds earlier tokens (the prompt) to the repetition penalties, so that
  // "penalise what was already said" covers the conversation, not only the answer.
  void AcceptHistory(const std::vector<Token>& tokens);

  // Picks a token from the logits of output `idx` of the last decode and
  // records it for the penalties and grammar. INTERNAL when a grammar cannot
  // continue (the request must end).
  Result<Token> Sample(llama_context* ctx, int32_t idx);

 private:
  explicit Sampler(int32_t n_vocab) : n_vocab_(n_vocab) {}
  llama_sampler* chain_ = nullptr;  // null on the plain-greedy fast path
  int32_t n_vocab_;
  int32_t history_n_ = 0;        // how many history tokens the penalties look at
  int32_t penalties_index_ = 0;  // position of the penalties sampler in chain_
};

}  // namespace daulat::engine
