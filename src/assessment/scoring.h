#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

enum class GateStatus { kMet, kUnmet, kUnknown };

struct PillarScore {
  const Pillar* pillar = nullptr;
  double score = 0;  // 0..100
  int answered = 0, total = 0;
};

struct Gap {
  const Question* question = nullptr;
  int level = 0;  // 0 = unanswered (scored as level 1)
  int target = 0;
  double priority = 0;  // pillar weight share x question weight share x levels to climb
};

struct RoadmapItem {
  std::string kind;  // "gate" or "gap"
  const Gate* gate = nullptr;
  const Gap* gap = nullptr;
};

struct RoadmapStage {
  const Stage* stage = nullptr;
  std::vector<RoadmapItem> items;
};

// A deterministic scorecard: the same framework and answers give the same
// numbers. A question scores (level - 1) / 4 x 100 (unanswered: 0); a pillar
// is the weighted mean of its questions, the overall score the weighted mean
// of the pillars. Gaps are ranked by priority (ties in framework order);
// gates not met come first everywhere they are listed.
struct Score {
  double overall = 0;
  const Tier* tier = nullptr;
  std::vector<PillarScore> pillars;
  std::vector<std::pair<const Gate*, GateStatus>> gates;  // not met first
  std::vector<Gap> gaps;
  std::vector<RoadmapStage> roadmap;
  std::vector<std::string> blocked_stages;  // stages a gate not met blocks (and those after)
  int answered = 0, total = 0;
  int target_level = 0;
};

// `target_level` 0 uses the framework's. The Score points into `f`.
Score ScoreAnswers(const Framework& f, const Answers& answers, int target_level = 0);

// The scorecard in one language, with texts, for APIs and reports; numbers
// rounded to one decimal.
nlohmann::json ScoreToJson(const Framework& f, const Answers& answers, const Score& s,
                           const std::string& language);

}  // namespace daulat::assessment
