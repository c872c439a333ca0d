#include "engine/sampling.h"

#include <llama.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <random>
#include <string>

namespace daulat::engine {
namespace {

bool InRange(float v, float lo, float hi) {
  return std::isfinite(v) && v >= lo && v <= hi;
}

}  // namespace

Status SamplingParams::Validate() const {
  if (!InRange(temperature, 0.0f, 2.0f))
    return InvalidArgument("temperature must be between 0 and 2");
  if (!InRange(top_p, 0.0f, 1.0f) || top_p == 0.0f)
    return InvalidArgument("top_p must be in (0, 1]");
  if (top_k < 0) return InvalidArgument("top_k must be 0 (off) or positive");
  if (!InRange(min_p, 0.0f, 1.0f)) return InvalidArgument("min_p must be between 0 and 1");
  if (!InRange(repeat_penalty, 0.0f, 10.0f) || repeat_penalty == 0.0f) {
    return InvalidArgument("repeat_penalty must be in (0, 10]");
  }
  if (repeat_last_n < -1)
    return InvalidArgument("repeat_last_n must be -1 (whole context) or >= 0");
  if (!InRange(presence_penalty, -2.0f, 2.0f))
    return InvalidArgument("presence_penalty must be between -2 and 2");
  if (!InRange(frequency_penalty, -2.0f, 2.0f))
    return InvalidArgument("frequency_penalty must be between -2 and 2");
  if (max_tokens == 0 || max_tokens < -1)
    return InvalidArgument("max_tokens must be positive (or -1 for no limit)");
  if (stop.size() > 16) return InvalidArgument("at most 16 stop strings are allowed");
  for (const auto& s : stop) {
    if (s.empty() || s.size() > 256)
      return InvalidArgument("each stop string must be 1 to 256 bytes");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Sampler>> Sampler::Create(const Model& model, const SamplingParams& p) {
  auto sampler = std::unique_ptr<Sampler>(new Sampler(model.vocab_size()));
  const bool penalties =
      p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f;
  // Plain greedy needs no chain: an argmax over the logits avoids copying the
  // whole vocabulary (262k entries for Gemma 3) into a candidate array per token.
  if (p.greedy() && !penalties && p.grammar.empty()) return sampler;
  llama_sampler* chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
  sampler->chain_ = chain;
  if (!p.grammar.empty()) {
    llama_sampler* grammar = nullptr;
    if (p.grammar_triggers.empty()) {
      grammar = llama_sampler_init_grammar(model.vocab(), p.grammar.c_str(), "root");
    } else {
      std::vector<const char*> patterns;
      for (const auto& t : p.grammar_triggers) patterns.push_back(t.c_str());
      grammar = llama_sampler_init_grammar_lazy_patterns(
          model.vocab(), p.grammar.c_str(), "root", patterns.data(), patterns.size(), nullptr, 0);
    }
    if (grammar == nullptr) return InvalidArgument("the output grammar does not parse");
    llama_sampler_chain_add(chain, grammar);
  }
  if (penalties) {
    sampler->history_n_ = p.repeat_last_n;
    sampler->penalties_index_ = llama_sampler_chain_n(chain);
    llama_sampler_chain_add(
        chain, llama_sampler_init_penalties(sampler->n_vocab_, p.repeat_last_n, p.repeat_penalty,
                                            p.frequency_penalty, p.presence_penalty));
  }
  if (p.greedy()) {
    llama_sampler_chain_add(chain, llama_sampler_init_greedy());
    return sampler;
  }
  if (p.top_k > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k(p.top_k));
  if (p.top_p < 1.0f) llama_sampler_chain_add(chain, llama_sampler_init_top_p(p.top_p, 1));
  if (p.min_p > 0.0f) llama_sampler_chain_add(chain, llama_sampler_init_min_p(p.min_p, 1));
  llama_sampler_chain_add(chain, llama_sampler_init_temp(p.temperature));
  const uint32_t seed = p.seed ? *p.seed : std::random_device{}();
  llama_sampler_chain_add(chain, llama_sampler_init_dist(seed));
  return sampler;
}

Sampler::~Sampler() {
  if (chain_ != nullptr) llama_sampler_free(chain_);
}

void Sampler::AcceptHistory(const std::vector<Token>& tokens) {
  if (chain_ == nullptr || history_n_ == 0) return;
  const size_t n =
      history_n_ < 0 ? tokens.size() : std::min(tokens.size(), static_cast<size_t>(history_n_));
  // Only the penalties see the history: a grammar must not consume the prompt.
  llama_sampler* penalties = llama_sampler_chain_get(chain_, penalties_index_);
  for (size_t i = tokens.size() - n; i < tokens.size(); ++i)
    llama_sampler_accept(penalties, tokens[i]);
}

Result<Token> Sampler::Sample(llama_context* ctx, int32_t idx) {
  if (chain_ == nullptr) return ArgMax(llama_get_logits_ith(ctx, idx), n_vocab_);
  try {
    return llama_sampler_sample(chain_, ctx, idx);
  } catch (const std::exception& e) {
    // libllama's grammar throws when it cannot continue (e.g. a token that
    // straddles a lazy grammar's trigger): end this request, not the process.
    return Internal(std::string("the output constraint could not be continued: ") + e.what());
  }
}

Token ArgMax(const float* logits, int32_t n) {
  constexpr int32_t kLanes = 16;
  float max = -std::numeric_limits<float>::infinity();
  int32_t i = 0;
  if (n >= kLanes) {
    std::array<float, kLanes> lane{};
    lane.fill(max);
    for (; i + kLanes <= n; i += kLanes) {
      for (int32_t k = 0; k < kLanes; ++k)
        lane[k] = lane[k] < logits[i + k] ? logits[i + k] : lane[k];
    }
    for (float v : lane) max = max < v ? v : max;
  }
  for (; i < n; ++i) max = max < logits[i] ? logits[i] : max;
  for (Token t = 0; t < n; ++t) {
    if (logits[t] == max) return t;
  }
  return 0;  // every logit NaN
}

}  // namespace daulat::engine
