#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daulat::assessment {

// A prompt asking a local model for a short narrative of a scorecard (in
// the scorecard's language): {system, user}, for attempt 0, 1, ...; nullopt
// when there is no further way to ask. The narrative is shown marked as
// generated and never replaces the rule-based roadmap.
std::optional<std::pair<std::string, std::string>> NarrativePrompt(const nlohmann::json& score,
                                                                   int attempt);
// False for text too short to be a narrative, copied from the prompt, or
// stating a number the prompt did not give (whole numbers up to 10 pass as
// counts): a narrative reads the numbers it is given.
bool UsableNarrative(const std::string& text, const std::string& prompt);
// The numbers written in `text` ("62.5", "1,250", "100" of "/ 100").
std::vector<double> NumbersIn(std::string_view text);

}  // namespace daulat::assessment
