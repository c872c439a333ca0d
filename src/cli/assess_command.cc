// daulat assess: the STAR readiness assessment in a terminal or from an
// answers file, scored, optionally stored for a tenant (with the platform's
// evidence and versions over time), and written as an HTML or PDF report.

#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "assessment/assessments.h"
#include "assessment/platform_evidence.h"
#include "assessment/report.h"
#include "cli/admin_stores.h"
#include "cli/assess_prompt.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/clock.h"
#include "engine/model_registry.h"
#include "gateway/usage_meter.h"

namespace daulat::cli {
namespace {

using nlohmann::json;

struct AssessFlags {
  std::string answers_file, framework_file, tenant, id, report, format, organisation, title;
  std::string language = "en";
  int target_level = 0;
  bool json = false;
};

Result<std::string> ReadText(const std::string& path) {
  if (path == "-")
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The tenant's stores, when the assessment is kept on this data folder.
struct TenantSide {
  AdminStores admin;
  std::unique_ptr<gateway::UsageMeter> usage;
  std::unique_ptr<assessment::Assessments> assessments;
};

Result<std::unique_ptr<TenantSide>> OpenTenant(const GlobalOptions& g, const std::string& tenant) {
  auto admin = AdminStores::Open(g);
  if (!admin.ok()) return admin.status();
  if (!admin->ids->GetTenant(tenant).ok()) return NotFound("no tenant '" + tenant + "'");
  auto side = std::make_unique<TenantSide>();
  side->admin = std::move(admin).value();
  auto usage = gateway::UsageMeter::Open(*side->admin.db);
  if (!usage.ok()) return usage.status();
  side->usage = std::move(usage).value();
  auto as = assessment::Assessments::Open(*side->admin.db);
  if (!as.ok()) return as.status();
  side->assessments = std::move(as).value();
  return side;
}

std::map<std::string, json> Evidence(const GlobalOptions& g, TenantSide& t,
                                     const std::string& tenant) {
  assessment::PlatformSources src;
  src.db = t.admin.db.get();
  src.policies = t.admin.policies.get();
  src.audit_verifier_key = t.admin.audit->verifier_key();
  for (const auto& m : engine::ModelRegistry(g.ModelsDir()).List().models)
    src.models.push_back(m.manifest);
  if (auto n = t.usage->RequestsInLastDays(tenant, 30); n.ok()) src.requests_30d = *n;
  return assessment::CollectEvidence(src, tenant);
}

void PrintScorecard(const json& s, const std::string& L) {
  const bool ms = L == "ms";
  std::printf("%s\n%s %.1f / 100 · %s %s · %d/%d %s\n\n",
              s["framework"]["title"].get<std::string>().c_str(),
              ms ? "Skor keseluruhan" : "Overall", s["overall"].get<double>(),
              ms ? "peringkat" : "tier", s["tier"]["title"].get<std::string>().c_str(),
              s["answered"].get<int>(), s["total"].get<int>(), ms ? "dijawab" : "answered");
  for (const auto& p : s["pillars"]) {
    const auto filled = std::lround(p["score"].get<double>() / 5);
    std::string bar;
    for (int i = 0; i < 20; ++i) bar += i < filled ? "#" : ".";
    std::printf("  %-32s %5.1f  %s\n", p["title"].get<std::string>().c_str(),
                p["score"].get<double>(), bar.c_str());
  }
  std::printf("\n%s\n", ms ? "Get (kewajipan)" : "Gates (obligations)");
  for (const auto& gte : s["gates"]) {
    const std::string st = gte["status"];
    const char* label = st == "met"     ? "ok"
                        : st == "unmet" ? (ms ? "TIDAK DIPENUHI" : "NOT MET")
                                        : (ms ? "TIDAK DIKETAHUI" : "UNKNOWN");
    std::printf("  %-15s %s\n", label, gte["title"].get<std::string>().c_str());
    if (st != "met") std::printf("                  %s\n", gte["text"].get<std::string>().c_str());
  }
  std::printf("\n%s\n", ms ? "Peta hala tuju" : "Roadmap");
  for (const auto& st : s["roadmap"]) {
    std::printf("  %s\n", st["title"].get<std::string>().c_str());
    for (const auto& a : st["actions"])
      std::printf("    - %s%s\n", a["kind"] == "gate" ? (ms ? "[wajib] " : "[required] ") : "",
                  a["text"].get<std::string>().c_str());
  }
}

Status WriteReport(const AssessFlags& f, const assessment::ReportInput& in) {
  std::string format = f.format;
  if (format.empty())
    format = f.report.size() > 4 && f.report.substr(f.report.size() - 4) == ".pdf" ? "pdf" : "html";
  std::string bytes;
  if (format == "pdf") {
    auto pdf = assessment::ReportPdf(in);
    if (!pdf.ok()) return pdf.status();
    bytes = std::move(pdf).value();
  } else if (format == "html") {
    bytes = assessment::ReportHtml(in);
  } else {
    return InvalidArgument("--format must be html or pdf");
  }
  std::ofstream out(f.report, std::ios::binary);
  out << bytes;
  out.close();
  if (!out) return Unavailable("cannot write " + f.report);
  return Status::Ok();
}

Result<const assessment::Framework*> FrameworkOf(const AssessFlags& f,
                                                 std::unique_ptr<assessment::Framework>& owned) {
  if (f.framework_file.empty()) return &assessment::DefaultFramework();
  auto fw = assessment::LoadFramework(f.framework_file);
  if (!fw.ok()) return fw.status();
  owned = std::make_unique<assessment::Framework>(std::move(fw).value());
  return owned.get();
}

int Assess(const GlobalOptions& g, const AssessFlags& f) {
  if (f.language != "en" && f.language != "ms")
    return ReportError(InvalidArgument("--language must be en or ms"));
  if (!f.id.empty() && f.tenant.empty()) return ReportError(InvalidArgument("--id needs --tenant"));
  std::unique_ptr<assessment::Framework> owned;
  auto fw = FrameworkOf(f, owned);
  if (!fw.ok()) return ReportError(fw.status());
  const assessment::Framework& framework = **fw;

  std::unique_ptr<TenantSide> tenant;
  assessment::Assessment a;
  a.organisation = f.organisation;
  a.title = f.title;
  a.framework = framework.Name();
  a.target_level = f.target_level;
  if (!f.tenant.empty()) {
    auto t = OpenTenant(g, f.tenant);
    if (!t.ok()) return ReportError(t.status());
    tenant = std::move(t).value();
    if (!f.id.empty()) {
      auto existing = tenant->assessments->Get(f.tenant, f.id);
      if (!existing.ok()) return ReportError(existing.status());
      a = std::move(existing).value();
      a.answers = assessment::AnswersFor(framework, std::move(a.answers));
    }
    assessment::ApplyEvidence(framework, Evidence(g, *tenant, f.tenant), a.answers);
  }
  if (!f.answers_file.empty()) {
    auto text = ReadText(f.answers_file);
    if (!text.ok()) return ReportError(text.status());
    auto file = assessment::ParseAnswersFile(framework, *text, a.answers);
    if (!file.ok())
      return ReportError(InvalidArgument(f.answers_file + ": " + file.status().message()));
    a.answers = std::move(file->answers);
    if (a.organisation.empty()) a.organisation = file->organisation;
    if (a.title.empty()) a.title = file->title;
  } else {
    AskQuestions(framework, f.language, std::cin, std::cerr, a.answers);
  }
  if (a.organisation.empty()) a.organisation = f.tenant.empty() ? "-" : f.tenant;
  if (a.title.empty()) a.title = framework.title.In(f.language);

  const assessment::Score score = assessment::ScoreAnswers(framework, a.answers, f.target_level);
  assessment::ScoredVersion version;
  version.score = assessment::ScoreToJson(framework, a.answers, score, "en");
  version.answers = assessment::AnswersToJson(a.answers);
  version.scored_at = UnixSeconds();
  version.version = 1;
  std::optional<assessment::ScoredVersion> baseline;
  if (tenant) {
    if (a.id.empty()) {
      auto created = tenant->assessments->Create(f.tenant, CliActor(), a.title, a.organisation,
                                                 framework, f.target_level);
      if (!created.ok()) return ReportError(created.status());
      a.id = created->id;
      a.tenant_id = created->tenant_id;
      a.created_at = created->created_at;
    }
    if (Status st = tenant->assessments->SaveAnswers(a); !st.ok()) return ReportError(st);
    auto stored = tenant->assessments->AddVersion(a, CliActor(), version.score);
    if (!stored.ok()) return ReportError(stored.status());
    version = std::move(stored).value();
    auto base = tenant->assessments->Baseline(a, version.version);
    if (!base.ok()) return ReportError(base.status());
    baseline = std::move(base).value();
    if (Status st = tenant->admin.Record(
            f.tenant, "assessment_scored",
            "assessment:" + a.id + "@v" + std::to_string(version.version),
            "overall " + version.score["overall"].dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace));
        !st.ok())
      return ReportError(st);
  }
  if (!f.report.empty()) {
    version.assessment_id = a.id.empty() ? "-" : a.id;
    const assessment::ScoredVersion shown_version =
        assessment::InLanguage(framework, version, f.language);
    const assessment::ReportInput in{&framework, &a, &shown_version,
                                     baseline ? &*baseline : nullptr, f.language};
    if (Status st = WriteReport(f, in); !st.ok()) return ReportError(st);
  }
  json shown = assessment::ScoreToJson(framework, a.answers, score, f.language);
  if (tenant) {
    shown["assessment_id"] = a.id;
    shown["version"] = version.version;
  }
  if (f.json) {
    std::puts(shown.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    PrintScorecard(shown, f.language);
    if (tenant)
      std::printf("\n%s %s v%lld\n", f.language == "ms" ? "Disimpan:" : "Stored:", a.id.c_str(),
                  static_cast<long long>(version.version));
    if (!f.report.empty())
      std::printf("%s %s\n", f.language == "ms" ? "Laporan:" : "Report:", f.report.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddAssessCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto f = std::make_shared<AssessFlags>();
  auto* cmd = app.add_subcommand(
      "assess",
      "STAR AI readiness assessment: questionnaire or answers file, score, roadmap, report");
  cmd->add_option("--answers", f->answers_file,
                  "Answers file (YAML or JSON; - for stdin); without it, asks in the terminal");
  cmd->add_option("--framework", f->framework_file,
                  "Framework file (default: the built-in star@1.0.0)");
  cmd->add_option(
      "--tenant", f->tenant,
      "Read this tenant's platform evidence and keep the assessment (versions over time)");
  cmd->add_option("--id", f->id, "Add a version to this stored assessment (with --tenant)");
  cmd->add_option("--organisation", f->organisation,
                  "Organisation assessed (default: from the answers file)");
  cmd->add_option("--title", f->title, "Title of the assessment");
  cmd->add_option("--target-level", f->target_level,
                  "Level every question should reach (2-5; default the framework's)")
      ->check(CLI::Range(2, 5));
  cmd->add_option("--report", f->report, "Write the report here (.html or .pdf)");
  cmd->add_option("--format", f->format,
                  "Report format: html or pdf (default: from --report's extension)")
      ->check(CLI::IsMember({"html", "pdf"}));
  cmd->add_option("--language", f->language, "en or ms (questions, scorecard, report)")
      ->check(CLI::IsMember({"en", "ms"}));
  cmd->add_flag("--json", f->json, "Print the scorecard as JSON");
  cmd->callback([&global, exit_code, f] { *exit_code = Assess(global, *f); });
}

}  // namespace daulat::cli
