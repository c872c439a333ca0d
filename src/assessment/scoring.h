#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assessment/answers.h"
#include "assessment/framework.h"
#include "common/status.h"

namespace daulat::assessment {

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
