#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

namespace daulat::assessment {

// A prompt asking a local model for a short narrative of a scorecard (in
// the scorecard's language): {system, user}, for attempt 0, 1, ...; nullopt
// when there is no further way to ask. The narrative is shown marked as
// generated and never replaces the rule-based roadmap.
std::optional<std::pair<std::string, std::string>> NarrativePrompt(const nlohmann::json& score,
                                                                   int attempt);
// False for text too short to be a narrative or copied from the prompt.
bool UsableNarrative(const std::string& text, const std::string& prompt);

}  // namespace daulat::assessment
