#include "assessment/readiness.h"

#include "assessment/answers.h"
#include "assessment/narrative.h"
#include "assessment/report.h"
#include "assessment/scoring.h"

namespace daulat::assessment {

std::map<std::string, nlohmann::json> Readiness::Evidence(const std::string& tenant_id) const {
  return CollectEvidence(sources_(tenant_id), tenant_id);
}

Result<Assessment> Readiness::Load(const std::string& tenant_id, const std::string& id) {
  auto a = store_.Get(tenant_id, id);
  if (!a.ok()) return a.status();
  a->answers = AnswersFor(framework_, std::move(a->answers));
  return a;
}

Result<std::vector<ScoredVersion>> Readiness::ScoredVersions(const Assessment& a) {
  auto versions = store_.Versions(a.tenant_id, a.id);
  if (versions.ok() && versions->empty())
    return InvalidArgument("the assessment has not been scored yet: POST .../score first");
  return versions;
}

Result<Assessment> Readiness::Create(const std::string& tenant_id, const std::string& actor,
                                     const std::string& title, const std::string& organisation,
                                     int target_level, bool evidence) {
  auto a = store_.Create(tenant_id, actor, title, organisation, framework_, target_level);
  if (!a.ok()) return a.status();
  if (evidence) {
    ApplyEvidence(framework_, Evidence(tenant_id), a->answers);
    DAULAT_RETURN_IF_ERROR(store_.SaveAnswers(*a));
  }
  return a;
}

Result<Readiness::Scored> Readiness::Score(const std::string& tenant_id, const std::string& id,
                                           const std::string& actor, bool evidence,
                                           const std::string& language) {
  auto a = Load(tenant_id, id);
  if (!a.ok()) return a.status();
  if (evidence) ApplyEvidence(framework_, Evidence(tenant_id), a->answers);
  DAULAT_RETURN_IF_ERROR(store_.SaveAnswers(*a));
  const auto score = ScoreAnswers(framework_, a->answers, a->target_level);
  auto v = store_.AddVersion(*a, actor, ScoreToJson(framework_, a->answers, score, "en"));
  if (!v.ok()) return v.status();
  nlohmann::json shown = ScoreToJson(framework_, a->answers, score, language);
  return Scored{std::move(a).value(), std::move(v).value(), std::move(shown)};
}

Result<ScoredVersion> Readiness::Narrate(const Assessment& a, const std::string& language,
                                         const Ask& ask, const std::string& model) {
  auto versions = ScoredVersions(a);
  if (!versions.ok()) return versions.status();
  ScoredVersion shown = InLanguage(framework_, versions->back(), language);
  for (int attempt = 0;; ++attempt) {
    const auto prompt = NarrativePrompt(shown.score, attempt);
    if (!prompt) return Unavailable("the model wrote nothing usable; try another model");
    auto text = ask(prompt->first, prompt->second);
    if (!text.ok()) return text.status();
    if (!UsableNarrative(*text, prompt->second)) continue;
    shown.narrative = text->substr(0, text->find_last_not_of(" \n\t") + 1);
    shown.narrative_model = model;
    DAULAT_RETURN_IF_ERROR(
        store_.SetNarrative(a.tenant_id, a.id, shown.version, shown.narrative, model));
    return shown;
  }
}

}  // namespace daulat::assessment
