#include "http/assessment_api.h"

#include <boost/asio/post.hpp>

#include "assessment/narrative.h"
#include "assessment/platform_evidence.h"
#include "assessment/report.h"
#include "http/governed_generator.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"

namespace daulat::http {
namespace {

using nlohmann::json;

// "en" or "ms" from ?language= (default en); empty after answering 400.
std::string LanguageOf(ApiCall& call) {
  std::string lang = call.Query("language");
  if (lang.empty()) return "en";
  if (lang == "en" || lang == "ms") return lang;
  call.Fail(InvalidArgument("'language' must be en or ms"), "language");
  return {};
}

json VersionSummary(const assessment::ScoredVersion& v) {
  return {{"version", v.version},
          {"scored_at", v.scored_at},
          {"scored_by", v.scored_by},
          {"overall", v.score.value("overall", 0.0)},
          {"tier", v.score.value("tier", json::object()).value("id", "")},
          {"blocked_stages", v.score.value("blocked_stages", json::array())},
          {"narrative", !v.narrative.empty()}};
}

}  // namespace

void AssessmentApi::AddRoutes(std::vector<ApiRoute>& routes) {
  using V = boost::beast::http::verb;
  using P = gateway::Permission;
  const auto bind = [this](void (AssessmentApi::*fn)(const CallPtr&)) {
    return [this, fn](const CallPtr& c) { (this->*fn)(c); };
  };
  const std::vector<ApiRoute> mine = {
      // Before /{id}: "framework" is not an assessment id.
      {V::get, "/api/v1/assessments/framework", P::kReadPolicy, false,
       bind(&AssessmentApi::GetFramework)},
      {V::get, "/api/v1/assessments", P::kReadPolicy, false, bind(&AssessmentApi::List)},
      {V::post, "/api/v1/assessments", P::kManagePolicy, true, bind(&AssessmentApi::Create)},
      {V::get, "/api/v1/assessments/{id}", P::kReadPolicy, false, bind(&AssessmentApi::Get)},
      {V::delete_, "/api/v1/assessments/{id}", P::kManagePolicy, false,
       bind(&AssessmentApi::Delete)},
      {V::patch, "/api/v1/assessments/{id}/answers", P::kManagePolicy, true,
       bind(&AssessmentApi::Answer)},
      {V::post, "/api/v1/assessments/{id}/score", P::kManagePolicy, true,
       bind(&AssessmentApi::Score)},
      {V::get, "/api/v1/assessments/{id}/versions", P::kReadPolicy, false,
       bind(&AssessmentApi::Versions)},
      {V::get, "/api/v1/assessments/{id}/report", P::kReadPolicy, false,
       bind(&AssessmentApi::Report)},
      {V::post, "/api/v1/assessments/{id}/narrative", P::kManagePolicy, true,
       bind(&AssessmentApi::Narrative)},
  };
  routes.insert(routes.end(), mine.begin(), mine.end());
}

AssessmentApi::AssessmentApi(const ApiServices& services, boost::asio::thread_pool& blocking)
    : s_(services),
      blocking_(blocking),
      readiness_(
          *services.assessments,
          services.framework != nullptr ? *services.framework : assessment::DefaultFramework(),
          [this](const std::string& tenant_id) { return Sources(tenant_id); }) {}

assessment::PlatformSources AssessmentApi::Sources(const std::string& tenant_id) const {
  assessment::PlatformSources src;
  src.db = s_.db;
  src.policies = s_.policies;
  if (s_.audit != nullptr) src.audit_verifier_key = s_.audit->verifier_key();
  if (s_.models != nullptr) {
    for (const auto& m : s_.models->models()) src.models.push_back(m->installed.manifest);
  }
  if (s_.usage != nullptr) {
    if (auto n = s_.usage->RequestsInLastDays(tenant_id, 30); n.ok()) src.requests_30d = *n;
  }
  if (s_.audit_writer != nullptr) s_.audit_writer->Flush();
  return src;
}

Result<assessment::Assessment> AssessmentApi::Load(const ApiCall& call, const std::string& id) {
  return readiness_.Load(call.ctx.caller.principal.tenant_id, id);
}

json AssessmentApi::ToJson(const assessment::Assessment& a) {
  return {
      {"id", a.id},
      {"object", "assessment"},
      {"title", a.title},
      {"organisation", a.organisation},
      {"framework", a.framework},
      {"target_level", a.target_level == 0 ? readiness_.framework().target_level : a.target_level},
      {"created_by", a.created_by},
      {"created_at", a.created_at},
      {"updated_at", a.updated_at},
      {"versions", a.versions},
      {"answers", assessment::AnswersToJson(a.answers)}};
}

void AssessmentApi::GetFramework(const CallPtr& call) {
  call->ctx.audit_action = "assessment_read";
  const std::string lang = LanguageOf(*call);
  if (lang.empty()) return;
  call->ReplyJson(200, assessment::FrameworkToJson(readiness_.framework(), lang));
}

void AssessmentApi::List(const CallPtr& call) {
  call->ctx.audit_action = "assessment_read";
  const std::string& tenant = call->ctx.caller.principal.tenant_id;
  auto list = s_.assessments->List(tenant);
  if (!list.ok()) return call->Fail(list.status());
  auto latest = s_.assessments->Latest(tenant);
  if (!latest.ok()) return call->Fail(latest.status());
  json data = json::array();
  for (const auto& a : *list) {
    json j = ToJson(a);
    j.erase("answers");
    const auto it = latest->find(a.id);
    j["versions"] = it == latest->end() ? 0 : it->second.versions;
    if (it != latest->end()) j["latest"] = VersionSummary(it->second.latest);
    data.push_back(j);
  }
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

void AssessmentApi::Create(const CallPtr& call) {
  RequestFields f(call->body, {"title", "organisation", "target_level", "evidence"});
  const auto title = f.String("title", true, 200);
  const auto organisation = f.String("organisation", true, 200);
  const int target = static_cast<int>(f.Int("target_level", 2, 5).value_or(0));
  const bool evidence = f.Bool("evidence").value_or(true);
  if (!f.status().ok()) return call->Fail(f.status());
  call->ctx.audit_action = "assessment_created";
  PostFor(blocking_, call,
          [this, call, title = *title, organisation = *organisation, target, evidence] {
            const auto& p = call->ctx.caller.principal;
            auto a =
                readiness_.Create(p.tenant_id, p.subject, title, organisation, target, evidence);
            if (!a.ok()) return call->Fail(a.status());
            call->ctx.resource = "assessment:" + a->id;
            call->ReplyJson(201, ToJson(*a), {{"Location", "/api/v1/assessments/" + a->id}});
          });
}

void AssessmentApi::Get(const CallPtr& call) {
  call->ctx.audit_action = "assessment_read";
  auto a = Load(*call, call->params.at(0));
  if (!a.ok()) return call->Fail(a.status());
  call->ReplyJson(200, ToJson(*a));
}

void AssessmentApi::Delete(const CallPtr& call) {
  call->ctx.audit_action = "assessment_deleted";
  call->ctx.resource = "assessment:" + call->params.at(0);
  if (Status st = s_.assessments->Delete(call->ctx.caller.principal.tenant_id, call->params.at(0));
      !st.ok())
    return call->Fail(st);
  call->ReplyJson(200, {{"id", call->params.at(0)}, {"deleted", true}});
}

void AssessmentApi::Answer(const CallPtr& call) {
  call->ctx.audit_action = "assessment_answered";
  call->ctx.resource = "assessment:" + call->params.at(0);
  auto a = Load(*call, call->params.at(0));
  if (!a.ok()) return call->Fail(a.status());
  if (Status st = assessment::MergeAnswers(readiness_.framework(), call->body, a->answers);
      !st.ok())
    return call->Fail(st);
  if (Status st = s_.assessments->SaveAnswers(*a); !st.ok()) return call->Fail(st);
  call->ReplyJson(200, ToJson(*a));
}

void AssessmentApi::Score(const CallPtr& call) {
  const json body = call->body.is_null() ? json::object() : call->body;  // no body: all defaults
  RequestFields f(body, {"language", "evidence"});
  const std::string lang = f.String("language", false, 2).value_or("en");
  const bool evidence = f.Bool("evidence").value_or(true);
  if (!f.status().ok()) return call->Fail(f.status());
  if (lang != "en" && lang != "ms")
    return call->Fail(InvalidArgument("'language' must be en or ms"), "language");
  call->ctx.audit_action = "assessment_scored";
  call->ctx.resource = "assessment:" + call->params.at(0);
  PostFor(blocking_, call, [this, call, lang, evidence] {
    const auto& p = call->ctx.caller.principal;
    auto scored = readiness_.Score(p.tenant_id, call->params.at(0), p.subject, evidence, lang);
    if (!scored.ok()) return call->Fail(scored.status());
    json out = std::move(scored->score);
    out["object"] = "assessment.score";
    out["assessment_id"] = scored->assessment.id;
    out["version"] = scored->version.version;
    out["scored_at"] = scored->version.scored_at;
    call->ctx.resource += "@v" + std::to_string(scored->version.version);
    call->ctx.decision_reason =
        "overall " + out["overall"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        ", tier " + out["tier"]["id"].get<std::string>();
    call->ReplyJson(200, out);
  });
}

void AssessmentApi::Versions(const CallPtr& call) {
  call->ctx.audit_action = "assessment_read";
  auto a = Load(*call, call->params.at(0));
  if (!a.ok()) return call->Fail(a.status());
  auto versions = s_.assessments->Versions(a->tenant_id, a->id);
  if (!versions.ok()) return call->Fail(versions.status());
  json data = json::array();
  for (const auto& v : *versions) data.push_back(VersionSummary(v));
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

void AssessmentApi::Report(const CallPtr& call) {
  call->ctx.audit_action = "assessment_report";
  const std::string lang = LanguageOf(*call);
  if (lang.empty()) return;
  const std::string format = call->Query("format").empty() ? "json" : call->Query("format");
  if (format != "json" && format != "html" && format != "pdf")
    return call->Fail(InvalidArgument("'format' must be json, html or pdf"), "format");
  const std::string version_text = call->Query("version");
  const auto wanted =
      version_text.empty() ? int64_t{0} : ParseWholeNumber(version_text, 1, INT64_MAX);
  if (!wanted) return call->Fail(InvalidArgument("'version' must be a version number"), "version");
  PostFor(blocking_, call, [this, call, lang, format, wanted = *wanted] {
    auto a = Load(*call, call->params.at(0));
    if (!a.ok()) return call->Fail(a.status());
    auto versions = readiness_.ScoredVersions(*a);
    if (!versions.ok()) return call->Fail(versions.status());
    const assessment::ScoredVersion* picked = &versions->back();
    for (const auto& v : *versions) {
      if (v.version == wanted) picked = &v;
    }
    if (wanted != 0 && picked->version != wanted)
      return call->Fail(NotFound("no version " + std::to_string(wanted)), "version");
    const auto shown = assessment::InLanguage(readiness_.framework(), *picked, lang);
    auto base = s_.assessments->Baseline(*a, picked->version);
    if (!base.ok()) return call->Fail(base.status());
    const assessment::ReportInput in{&readiness_.framework(), &*a, &shown,
                                     *base ? &**base : nullptr, lang};
    call->ctx.resource = "assessment:" + a->id + "@v" + std::to_string(picked->version);
    if (format == "json") return call->ReplyJson(200, assessment::ReportJson(in));
    const std::string name =
        "daulat-assessment-" + a->id + "-v" + std::to_string(picked->version) + "." + format;
    Headers headers = {
        {"Content-Disposition", "attachment; filename=\"" + name + "\""},
        {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
        {"X-Content-Type-Options", "nosniff"}};
    std::string body;
    if (format == "pdf") {
      auto pdf = assessment::ReportPdf(in);
      if (!pdf.ok()) return call->Fail(pdf.status());
      body = std::move(pdf).value();
    } else {
      body = assessment::ReportHtml(in);
    }
    call->Send(200, format == "pdf" ? "application/pdf" : "text/html; charset=utf-8",
               std::move(body), std::move(headers));
  });
}

// A narrative of the latest version by a chat model the tenant's policy
// allows at TERHAD (an assessment is internal, not public), through the
// governed path (quotas, PII rules, audit). Stored with the model's name,
// shown as generated; the roadmap stays rule-based.
void AssessmentApi::Narrative(const CallPtr& call) {
  const json body = call->body.is_null() ? json::object() : call->body;  // no body: all defaults
  RequestFields f(body, {"model", "language"});
  const std::string model = f.String("model", false, 64).value_or("");
  const std::string lang = f.String("language", false, 2).value_or("en");
  if (!f.status().ok()) return call->Fail(f.status());
  if (lang != "en" && lang != "ms")
    return call->Fail(InvalidArgument("'language' must be en or ms"), "language");
  call->ctx.audit_action = "assessment_narrative";
  call->ctx.resource = "assessment:" + call->params.at(0);
  if (Status st = s_.generation->Admit(call->ctx); !st.ok()) return call->Fail(st);
  PostFor(narratives_, call, [this, call, model, lang] {
    auto a = Load(*call, call->params.at(0));
    if (!a.ok()) return call->Fail(a.status());
    auto generator = std::make_shared<GovernedGenerator>(
        *s_.generation, call->ctx, s_.generation->ModelFor(gateway::Job::kNarratives, model));
    call->responder->OnDisconnect([generator] { generator->Cancel(); });
    if (Status st = generator->Open(Classification::kTerhad); !st.ok())
      return call->Fail(st, "model");
    const auto ask = [&](const std::string& system, const std::string& user) {
      return generator->Generate({system, {}, user}, 320, nullptr);
    };
    auto v = readiness_.Narrate(*a, lang, ask, generator->model());
    if (!v.ok())
      return call->Fail(v.status(), v.status().code() == StatusCode::kUnavailable ? "model" : "");
    call->ctx.output_text = v->narrative;
    call->ReplyJson(200, {{"object", "assessment.narrative"},
                          {"assessment_id", a->id},
                          {"version", v->version},
                          {"text", v->narrative},
                          {"model", v->narrative_model},
                          {"generated", true}});
  });
}

}  // namespace daulat::http
