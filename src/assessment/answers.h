#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "assessment/framework.h"
#include "common/status.h"

namespace daulat::assessment {

// One question's answer. Evidence answers come from what the platform
// observed; a person may override them, with a reason, and the evidence
// stays on record beside the override.
struct Answer {
  int level = 0;            // 1..5; 0 = unanswered
  std::string source;       // "user" or "evidence"
  std::string reason;       // why a user overrode the evidence (required then)
  std::string signal;       // evidence: the platform signal read
  nlohmann::json observed;  // evidence: the value seen
  int evidence_level = 0;   // evidence: the level it implies
};

struct Answers {
  std::map<std::string, Answer> questions;
  std::map<std::string, nlohmann::json> facts;
};

// Merges a person's answers: {"answers": {"<question>": level | {"level", "reason"}
// | null (clears)}, "facts": {"<fact>": value | null}}. INVALID_ARGUMENT naming
// the field for unknown ids, levels outside 1..5, facts of the wrong type,
// and overriding platform evidence without a reason. Nothing changes on error.
Status MergeAnswers(const Framework& f, const nlohmann::json& patch, Answers& answers);

// An answers file (YAML or JSON) as `daulat assess --answers` reads it:
// {framework?: "id@version", organisation?, title?, answers: {...}, facts: {...}}.
struct AnswersFile {
  std::string framework, organisation, title;
  Answers answers;
};
// Its answers are merged onto `start` (for example evidence already filled
// in, which the file may then override only with a reason). INVALID_ARGUMENT
// for syntax errors, unknown fields, a file written for another framework
// id, and everything MergeAnswers refuses.
Result<AnswersFile> ParseAnswersFile(const Framework& f, const std::string& text,
                                     Answers start = {});

// Fills questions the platform can observe from `signals` (name -> value):
// unanswered or evidence-sourced questions take the evidence level; a user's
// override keeps its level and records what the evidence says now.
void ApplyEvidence(const Framework& f, const std::map<std::string, nlohmann::json>& signals,
                   Answers& answers);

// The stored form, and back. StoredAnswers keeps whatever ids it finds;
// AnswersFor drops those the framework does not (or no longer) know.
nlohmann::json AnswersToJson(const Answers& answers);
Answers StoredAnswers(const nlohmann::json& j);
Answers AnswersFor(const Framework& f, Answers stored);

}  // namespace daulat::assessment
