// daulat ask | summarize: Lumin's model-backed answers on the local data folder.

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/generation_flags.h"
#include "cli/lumin_library.h"
#include "cli/progress_bar.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library_json.h"
#include "knowledge/summarizer.h"

namespace daulat::cli {
namespace {

using nlohmann::json;

struct AssistantFlags {
  GenerationFlags gen;
  std::string tenant = "default", clearance = "TERBUKA", collection, language;
  std::vector<std::string> groups;
  std::string question, document;
  size_t top_k = 5, max_points = 8;
  bool json = false;
};

// --language, or `detected` when it is not given.
Result<std::string> LanguageFlag(const AssistantFlags& a, const std::string& detected) {
  if (a.language.empty()) return detected;
  if (a.language != "ms" && a.language != "en") return InvalidArgument("--language is ms or en");
  return a.language;
}

// One greedy model call for a grounded prompt.
Result<std::string> Generate(LoadedModel& m, const knowledge::GroundedPrompt& prompt,
                             int max_tokens) {
  auto rendered = m.chat_template->Apply({{"system", prompt.system}, {"user", prompt.user}});
  if (!rendered.ok()) return rendered.status();
  engine::SamplingParams params;
  params.temperature = 0;
  params.max_tokens = max_tokens;
  params.stop = rendered->stops;
  params.stop.insert(params.stop.end(), m.template_stops.begin(), m.template_stops.end());
  const auto& grounded = knowledge::GroundedStops();
  params.stop.insert(params.stop.end(), grounded.begin(), grounded.end());
  const auto tokens = m.model->Tokenize(rendered->text, true, true);
  auto result = m.session->Generate(tokens, params, nullptr, nullptr);
  if (!result.ok()) return result.status();
  std::string text = result->text;
  text.erase(0, std::min(text.find_first_not_of(" \t\r\n"), text.size()));
  return text;
}

void PrintSource(int n, const knowledge::SearchHit& h) {
  std::printf("  [%d] %s%s%s\n", n, h.source_name.c_str(),
              h.page > 0 ? (", p. " + std::to_string(h.page)).c_str() : "",
              h.heading_path.empty() ? "" : (", " + h.heading_path).c_str());
}

void WarnFlags(const std::vector<std::pair<int, std::string>>& flags) {
  for (const auto& [n, excerpt] : flags)
    std::fprintf(stderr, "daulat: source [%d] contains instruction-like text: %s\n", n,
                 excerpt.c_str());
}

int Ask(const GlobalOptions& g, const AssistantFlags& a) {
  auto reader = ParseReader(a.tenant, a.clearance, a.groups);
  if (!reader.ok()) return ReportError(reader.status());
  auto language = LanguageFlag(a, knowledge::DetectLanguage(a.question) == "ms" ? "ms" : "en");
  if (!language.ok()) return ReportError(language.status());
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  auto hits = o->library->Search(*reader, {a.question, a.collection, a.top_k});
  if (!hits.ok()) return ReportError(hits.status());
  std::string draft;
  if (!hits->empty()) {
    auto loaded = LoadForGeneration(g, a.gen);
    if (!loaded.ok()) return ReportError(loaded.status());
    auto text =
        Generate(*loaded, knowledge::BuildGroundedPrompt(a.question, *hits, *language), 400);
    if (!text.ok()) return ReportError(text.status());
    draft = *text;
  }
  const auto answer = knowledge::FinishAnswer(draft, !hits->empty(), *hits, *language, a.question);
  if (a.json) {
    std::puts(knowledge::ToJson(answer, *hits, *language).dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s\n", answer.answer.c_str());
  for (const int n : answer.cited) PrintSource(n, (*hits)[static_cast<size_t>(n - 1)]);
  std::printf("  (%s)\n", std::string(ClassificationName(answer.classification)).c_str());
  WarnFlags(answer.flags);
  return kExitOk;
}

int Summarize(const GlobalOptions& g, const AssistantFlags& a) {
  if (a.document.empty() == a.collection.empty())
    return ReportError(InvalidArgument("give either --document or --collection"));
  auto reader = ParseReader(a.tenant, a.clearance, a.groups);
  if (!reader.ok()) return ReportError(reader.status());
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  auto read = o->library->PassagesOf(*reader, {a.document, a.collection, 400});
  if (!read.ok()) return ReportError(read.status());
  auto language = LanguageFlag(a, knowledge::PassagesLanguage(read->passages));
  if (!language.ok()) return ReportError(language.status());
  knowledge::SummaryOptions options;
  options.language = *language;
  options.max_points = a.max_points;
  knowledge::SummaryRun run(read->passages, options);
  std::optional<LoadedModel> loaded;
  ProgressBar bar("summarising");
  while (auto prompt = run.Next()) {
    if (!loaded) {
      auto m = LoadForGeneration(g, a.gen);
      if (!m.ok()) return ReportError(m.status());
      loaded = std::move(m).value();
    }
    bar.Update(run.calls_done(), run.calls_planned());
    auto text = Generate(*loaded, *prompt, 400);
    if (!text.ok()) return ReportError(text.status());
    run.Accept(*text);
  }
  bar.Finish();
  const auto summary = run.Finish();
  if (a.json) {
    std::puts(knowledge::ToJson(summary, *read, *language).dump(2).c_str());
    return kExitOk;
  }
  if (summary.points.empty())
    std::printf("%s\n", *language == "ms" ? "Tiada perkara utama yang disokong oleh dokumen."
                                          : "No key point the documents support.");
  std::fputs(summary.text.c_str(), stdout);
  std::vector<int> cited;
  for (const auto& p : summary.points) cited.insert(cited.end(), p.cited.begin(), p.cited.end());
  std::sort(cited.begin(), cited.end());
  cited.erase(std::unique(cited.begin(), cited.end()), cited.end());
  for (const int n : cited) PrintSource(n, read->passages[static_cast<size_t>(n - 1)]);
  std::printf("  (%s%s)\n", std::string(ClassificationName(summary.classification)).c_str(),
              read->truncated ? "; only the first 400 passages were read" : "");
  WarnFlags(summary.flags);
  return kExitOk;
}

}  // namespace

void AddAssistantCommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto a = std::make_shared<AssistantFlags>();
  const auto common = [a](CLI::App* c) {
    c->add_option("--tenant", a->tenant, "Tenant (default 'default')");
    c->add_flag("--json", a->json, "Print JSON");
    c->add_option("--clearance", a->clearance, "Read as this clearance (default TERBUKA)");
    c->add_option("--group", a->groups, "Read as a member of this ACL group (repeatable)");
    c->add_option("-m,--model", a->gen.model, "Chat model (default gemma3-270m)")
        ->envname("DAULAT_MODEL");
    c->add_option("-t,--threads", a->gen.threads, "CPU threads, 0 = all");
  };
  auto* ask = app.add_subcommand(
      "ask", "Answer a question from your documents, with numbered citations (or say it cannot)");
  ask->add_option("question", a->question, "The question")->required();
  ask->add_option("--collection,-c", a->collection, "Only this collection");
  ask->add_option("--language", a->language, "ms or en (default: the question's)");
  ask->add_option("--top-k,-k", a->top_k, "Sources to give the model (1-20, default 5)")
      ->check(CLI::Range(1, 20));
  common(ask);
  ask->callback([&global, exit_code, a] { *exit_code = Ask(global, *a); });

  auto* summarize = app.add_subcommand(
      "summarize", "Key points of a document or a collection, with citations (map-reduce)");
  summarize->add_option("--document,-d", a->document, "Document id (doc_...)");
  summarize->add_option("--collection,-c", a->collection, "Every document of this collection");
  summarize->add_option("--language", a->language, "ms or en (default: the documents')");
  summarize->add_option("--max-points", a->max_points, "Key points at most (1-20, default 8)")
      ->check(CLI::Range(1, 20));
  common(summarize);
  summarize->callback([&global, exit_code, a] { *exit_code = Summarize(global, *a); });
}

}  // namespace daulat::cli
