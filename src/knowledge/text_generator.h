#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "knowledge/grounded_answer.h"

namespace daulat::knowledge {

// What the model may read of a question and the passages retrieved for it.
struct GuardedSources {
  std::string question;
  std::vector<std::string> passages;  // the kept ones, in order
  std::vector<size_t> kept;           // their indices in the input
};

// The model behind Lumin's answers and summaries, as Lumin needs it: one
// request, which may make several model calls. The platform implements it
// with its one governed generation path (policy, PII rules, quotas, audit);
// tests give a fake that records the prompts. Not thread-safe: one request.
class TextGenerator {
 public:
  virtual ~TextGenerator() = default;

  // Chooses the model the tenant's policy allows for material up to `level`
  // (the highest label the model will read). Called once, before the rest.
  // NOT_FOUND (no such model), PERMISSION_DENIED (the policy refuses),
  // RESOURCE_EXHAUSTED (quota).
  virtual Status Open(Classification level) = 0;

  // The question and passages as the model may read them under the level's
  // personal-data rule: as they are, masked, or (block) without the passages
  // that hold personal data; PERMISSION_DENIED when the question holds some
  // and the rule blocks it.
  virtual Result<GuardedSources> Guard(std::string_view question,
                                       const std::vector<std::string_view>& passages) = 0;

  // One greedy model call of at most `max_tokens` that stops at
  // GroundedStops(). `on_text` (may be empty) receives the answer as it is
  // released; the whole answer is returned without leading whitespace.
  // PERMISSION_DENIED when the output rule blocked the answer.
  virtual Result<std::string> Generate(const GroundedPrompt& prompt, int max_tokens,
                                       const std::function<void(const std::string&)>& on_text) = 0;
};

}  // namespace daulat::knowledge
