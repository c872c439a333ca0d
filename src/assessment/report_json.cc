#include "assessment/report.h"

namespace daulat::assessment {

nlohmann::json ReportJson(const ReportInput& in) {
  using nlohmann::json;
  const ScoredVersion& v = *in.version;
  json out = v.score;
  out["object"] = "assessment.report";
  out["assessment_id"] = in.assessment->id;
  out["version"] = v.version;
  out["scored_at"] = v.scored_at;
  out["answers"] = v.answers;
  out["narrative"] =
      v.narrative.empty()
          ? json(nullptr)
          : json({{"text", v.narrative}, {"model", v.narrative_model}, {"generated", true}});
  const ScoredVersion* b = in.baseline;
  out["baseline"] = b != nullptr ? json({{"assessment_id", b->assessment_id},
                                         {"version", b->version},
                                         {"scored_at", b->scored_at},
                                         {"overall", b->score.value("overall", 0.0)},
                                         {"pillars", b->score.value("pillars", json::array())}})
                                 : json(nullptr);
  return out;
}

}  // namespace daulat::assessment
