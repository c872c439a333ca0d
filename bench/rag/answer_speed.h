#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/model_registry.h"

namespace daulat::bench {

// One ask as the server builds it: the fixed system prompt of the answer's
// language and the question with its five numbered sources.
struct AskPrompt {
  std::string system;
  std::string user;
};

// Times `prompts` through `model` on the server's own path (chat template,
// continuous-batching scheduler with its default slots, greedy, up to
// `max_tokens`), one request at a time. Each prompt runs twice: cold, in a
// prompt-cache partition of its own (the anchor), and warm, in the partition
// every ask of one caller shares, so the fixed system prompt comes from the
// prefix cache. Reports time to first token and to the full answer (p50,
// p95), prompt tokens, tokens reused and generation speed.
Result<nlohmann::json> MeasureAnswerSpeed(const engine::ModelRegistry& registry,
                                          const std::string& model,
                                          const std::vector<AskPrompt>& prompts, int max_tokens);

}  // namespace daulat::bench
