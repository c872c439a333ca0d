#include "assessment/assessments.h"

#include "common/clock.h"
#include "common/random_id.h"

namespace daulat::assessment {
namespace {

using nlohmann::json;

const std::vector<store::Migration> kMigrations = {
    {1, "assessments and their scored versions",
     "CREATE TABLE as_assessments (tenant_id TEXT NOT NULL, assessment_id TEXT NOT NULL, "
     "title TEXT NOT NULL, organisation TEXT NOT NULL, framework TEXT NOT NULL, target_level "
     "INTEGER NOT NULL, answers TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT "
     "NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, assessment_id));"
     "CREATE TABLE as_versions (tenant_id TEXT NOT NULL, assessment_id TEXT NOT NULL, version "
     "INTEGER NOT NULL, scored_at INTEGER NOT NULL, scored_by TEXT NOT NULL, score TEXT NOT NULL, "
     "answers TEXT NOT NULL, narrative TEXT NOT NULL DEFAULT '', narrative_model TEXT NOT NULL "
     "DEFAULT '', PRIMARY KEY (tenant_id, assessment_id, version));"},
};

const std::vector<std::string> kColumns = {"assessment_id", "title",        "organisation",
                                           "framework",     "target_level", "answers",
                                           "created_by",    "created_at",   "updated_at"};
const std::vector<std::string> kVersionColumns = {"assessment_id", "version",        "scored_at",
                                                  "scored_by",     "score",          "answers",
                                                  "narrative",     "narrative_model"};

// Answers are kept as stored JSON and read back against the current
// framework by the caller (questions a newer framework dropped disappear).
Assessment AssessmentFrom(const std::string& tenant, const store::Row& r) {
  Assessment a;
  a.tenant_id = tenant;
  a.id = r.Text(0);
  a.title = r.Text(1);
  a.organisation = r.Text(2);
  a.framework = r.Text(3);
  a.target_level = static_cast<int>(r.Int(4));
  const json answers = json::parse(r.Text(5), nullptr, false);
  if (!answers.is_discarded()) a.answers = StoredAnswers(answers);
  a.created_by = r.Text(6);
  a.created_at = r.Int(7);
  a.updated_at = r.Int(8);
  return a;
}

ScoredVersion VersionFrom(const store::Row& r) {
  ScoredVersion v;
  v.assessment_id = r.Text(0);
  v.version = r.Int(1);
  v.scored_at = r.Int(2);
  v.scored_by = r.Text(3);
  v.score = json::parse(r.Text(4), nullptr, false);
  v.answers = json::parse(r.Text(5), nullptr, false);
  v.narrative = r.Text(6);
  v.narrative_model = r.Text(7);
  return v;
}

}  // namespace

Result<std::unique_ptr<Assessments>> Assessments::Open(store::Database& db) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("assessment", kMigrations));
  return std::unique_ptr<Assessments>(new Assessments(db));
}

Result<Assessment> Assessments::Create(const std::string& tenant_id, const std::string& created_by,
                                       const std::string& title, const std::string& organisation,
                                       const Framework& framework, int target_level) {
  Assessment a;
  a.id = NewId("asm_");
  a.tenant_id = tenant_id;
  a.title = title;
  a.organisation = organisation;
  a.framework = framework.Name();
  a.target_level = target_level;
  a.created_by = created_by;
  a.created_at = a.updated_at = UnixSeconds();
  store::TenantScope scope(db_, tenant_id);
  DAULAT_RETURN_IF_ERROR(scope.Insert(
      "as_assessments", kColumns,
      {a.id, a.title, a.organisation, a.framework, int64_t{a.target_level},
       AnswersToJson(a.answers).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
       a.created_by, a.created_at, a.updated_at}));
  return a;
}

Result<Assessment> Assessments::Get(const std::string& tenant_id, const std::string& id) {
  store::TenantScope scope(db_, tenant_id);
  auto rows = scope.Select("as_assessments", kColumns, "assessment_id = ?", {id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no assessment '" + id.substr(0, 80) + "'");
  Assessment a = AssessmentFrom(tenant_id, rows->front());
  auto n = scope.Select("as_versions", {"COUNT(*)"}, "assessment_id = ?", {id});
  if (!n.ok()) return n.status();
  a.versions = n->empty() ? 0 : n->front().Int(0);
  return a;
}

Result<std::vector<Assessment>> Assessments::List(const std::string& tenant_id) {
  store::TenantScope scope(db_, tenant_id);
  auto rows =
      scope.Select("as_assessments", kColumns, "", {}, "created_at DESC, assessment_id", 1000);
  if (!rows.ok()) return rows.status();
  std::vector<Assessment> out;
  for (const auto& r : *rows) out.push_back(AssessmentFrom(tenant_id, r));
  return out;
}

Status Assessments::SaveAnswers(const Assessment& a) {
  store::TenantScope scope(db_, a.tenant_id);
  auto n = scope.Update(
      "as_assessments", {"answers", "updated_at"},
      {AnswersToJson(a.answers).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
       UnixSeconds()},
      "assessment_id = ?", {a.id});
  if (!n.ok()) return n.status();
  return *n == 1 ? Status::Ok() : NotFound("no assessment '" + a.id + "'");
}

Status Assessments::Delete(const std::string& tenant_id, const std::string& id) {
  store::TenantScope scope(db_, tenant_id);
  auto n = scope.Delete("as_assessments", "assessment_id = ?", {id});
  if (!n.ok()) return n.status();
  if (*n == 0) return NotFound("no assessment '" + id.substr(0, 80) + "'");
  return scope.Delete("as_versions", "assessment_id = ?", {id}).status();
}

Result<ScoredVersion> Assessments::AddVersion(const Assessment& a, const std::string& scored_by,
                                              const json& score) {
  store::TenantScope scope(db_, a.tenant_id);
  auto last = scope.Select("as_versions", {"MAX(version)"}, "assessment_id = ?", {a.id});
  if (!last.ok()) return last.status();
  ScoredVersion v;
  v.assessment_id = a.id;
  v.version = (last->empty() ? 0 : last->front().Int(0)) + 1;
  v.scored_at = UnixSeconds();
  v.scored_by = scored_by;
  v.score = score;
  v.answers = AnswersToJson(a.answers);
  DAULAT_RETURN_IF_ERROR(
      scope.Insert("as_versions", kVersionColumns,
                   {v.assessment_id, v.version, v.scored_at, v.scored_by,
                    v.score.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    v.answers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    std::string(), std::string()}));
  return v;
}

Status Assessments::SetNarrative(const std::string& tenant_id, const std::string& id,
                                 int64_t version, const std::string& text,
                                 const std::string& model) {
  store::TenantScope scope(db_, tenant_id);
  auto n = scope.Update("as_versions", {"narrative", "narrative_model"}, {text, model},
                        "assessment_id = ? AND version = ?", {id, version});
  if (!n.ok()) return n.status();
  return *n == 1 ? Status::Ok() : NotFound("no version " + std::to_string(version));
}

Result<std::vector<ScoredVersion>> Assessments::Versions(const std::string& tenant_id,
                                                         const std::string& id) {
  store::TenantScope scope(db_, tenant_id);
  auto rows = scope.Select("as_versions", kVersionColumns, "assessment_id = ?", {id}, "version");
  if (!rows.ok()) return rows.status();
  std::vector<ScoredVersion> out;
  for (const auto& r : *rows) out.push_back(VersionFrom(r));
  return out;
}

Result<std::map<std::string, Assessments::LatestVersion>> Assessments::Latest(
    const std::string& tenant_id) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Query(
                      "SELECT v.assessment_id, v.version, v.scored_at, v.scored_by, v.score, "
                      "v.answers, v.narrative, v.narrative_model, c.n FROM as_versions v JOIN "
                      "(SELECT assessment_id, MAX(version) AS m, COUNT(*) AS n FROM as_versions "
                      "WHERE {tenant} GROUP BY assessment_id) c ON c.assessment_id = "
                      "v.assessment_id AND c.m = v.version WHERE {tenant:v}");
  if (!rows.ok()) return rows.status();
  std::map<std::string, Assessments::LatestVersion> out;
  for (const auto& r : *rows) out[r.Text(0)] = {r.Int(8), VersionFrom(r)};
  return out;
}

Result<std::optional<ScoredVersion>> Assessments::Baseline(const Assessment& a, int64_t version) {
  store::TenantScope scope(db_, a.tenant_id);
  auto rows = scope.Select("as_versions", kVersionColumns, "assessment_id = ? AND version < ?",
                           {a.id, version}, "version DESC", 1);
  if (!rows.ok()) return rows.status();
  if (!rows->empty()) return std::optional<ScoredVersion>(VersionFrom(rows->front()));
  // The most recent earlier assessment on the same framework (any version of it).
  const std::string framework_id = a.framework.substr(0, a.framework.find('@'));
  auto earlier = scope.Select("as_assessments", {"assessment_id", "framework"},
                              "created_at <= ? AND assessment_id <> ?", {a.created_at, a.id},
                              "created_at DESC, assessment_id DESC", 50);
  if (!earlier.ok()) return earlier.status();
  for (const auto& e : *earlier) {
    if (e.Text(1).rfind(framework_id + "@", 0) != 0) continue;
    auto v = scope.Select("as_versions", kVersionColumns, "assessment_id = ?", {e.Text(0)},
                          "version DESC", 1);
    if (!v.ok()) return v.status();
    if (!v->empty()) return std::optional<ScoredVersion>(VersionFrom(v->front()));
  }
  return std::optional<ScoredVersion>();
}

}  // namespace daulat::assessment
