// daulat ask | summarize: Lumin's model-backed answers on the local data folder.

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/generation_flags.h"
#include "cli/local_generation.h"
#include "cli/lumin_library.h"
#include "cli/progress_bar.h"
#include "http/governed_generator.h"
#include "http/openai_errors.h"
#include "knowledge/assistant.h"
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
  bool check = false;
};

// --language, or `detected` when it is not given.
Result<std::string> LanguageFlag(const AssistantFlags& a, const std::string& detected) {
  if (a.language.empty()) return detected;
  if (a.language != "ms" && a.language != "en") return InvalidArgument("--language is ms or en");
  return a.language;
}

// The tenant's governed model for Lumin (policy at the sources' level, PII
// rules, audit), loaded only when an answer needs it.
class CliModel : public knowledge::TextGenerator {
 public:
  CliModel(const GlobalOptions& g, const AssistantFlags& a, const knowledge::Reader& reader,
           std::string action)
      : g_(g), a_(a), reader_(reader), action_(std::move(action)) {}
  Status Open(Classification level) override {
    auto local = LocalGeneration::Open(
        g_, a_.gen, {reader_.tenant_id, reader_.clearance, reader_.groups}, action_);
    if (!local.ok()) return local.status();
    local_ = std::move(local).value();
    generator_ = std::make_unique<http::GovernedGenerator>(local_->service(), local_->context(),
                                                           a_.gen.model);
    return generator_->Open(level);
  }
  Result<knowledge::GuardedSources> Guard(std::string_view question,
                                          const std::vector<std::string_view>& passages) override {
    return generator_->Guard(question, passages);
  }
  Result<std::string> Generate(const knowledge::GroundedPrompt& prompt, int max_tokens,
                               const std::function<void(const std::string&)>& on_text) override {
    return generator_->Generate(prompt, max_tokens, on_text);
  }
  // The command's audit record, when a model was used.
  Status Record(const Status& outcome, const std::string& answer) {
    if (!local_) return Status::Ok();
    local_->context().output_text = answer;
    return local_->Record(outcome.ok() ? 200 : http::ErrorFor(outcome).status, outcome.message());
  }

 private:
  const GlobalOptions& g_;
  const AssistantFlags& a_;
  knowledge::Reader reader_;
  std::string action_;
  std::unique_ptr<LocalGeneration> local_;
  std::unique_ptr<http::GovernedGenerator> generator_;
};

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
  const knowledge::Assistant assistant(*o->library, o->conversations.get());
  CliModel model(g, a, *reader, "ask");
  knowledge::AskRequest request;
  request.question = a.question;
  request.collection = a.collection;
  request.top_k = a.top_k;
  request.language = *language;
  request.check_support = a.check;
  auto result = assistant.Ask(*reader, request, model);
  if (Status st = model.Record(result.status(), result.ok() ? result->answer.answer : ""); !st.ok())
    return ReportError(st);
  if (!result.ok()) return ReportError(result.status());
  if (a.json) {
    std::puts(knowledge::ToJson(*result)
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
    return kExitOk;
  }
  std::printf("%s\n", result->answer.answer.c_str());
  for (const int n : result->answer.cited)
    PrintSource(n, result->sources[static_cast<size_t>(n - 1)]);
  std::printf("  (%s)\n", std::string(ClassificationName(result->answer.classification)).c_str());
  WarnFlags(result->answer.flags);
  return kExitOk;
}

int Summarize(const GlobalOptions& g, const AssistantFlags& a) {
  if (a.document.empty() == a.collection.empty())
    return ReportError(InvalidArgument("give either --document or --collection"));
  if (!a.language.empty() && a.language != "ms" && a.language != "en")
    return ReportError(InvalidArgument("--language is ms or en"));
  auto reader = ParseReader(a.tenant, a.clearance, a.groups);
  if (!reader.ok()) return ReportError(reader.status());
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  const knowledge::Assistant assistant(*o->library, o->conversations.get());
  CliModel model(g, a, *reader, "summarize");
  knowledge::SummarizeRequest request;
  request.scope = {a.document, a.collection, 400};
  request.language = a.language;
  request.max_points = a.max_points;
  ProgressBar bar("summarising");
  auto result = assistant.Summarize(*reader, request, model,
                                    [&bar](size_t done, size_t total) { bar.Update(done, total); });
  bar.Finish();
  if (Status st = model.Record(result.status(), result.ok() ? result->summary.text : ""); !st.ok())
    return ReportError(st);
  if (!result.ok()) return ReportError(result.status());
  if (a.json) {
    std::puts(knowledge::ToJson(*result)
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
    return kExitOk;
  }
  const auto& summary = result->summary;
  if (summary.points.empty())
    std::printf("%s\n", result->language == "ms" ? "Tiada perkara utama yang disokong oleh dokumen."
                                                 : "No key point the documents support.");
  std::fputs(summary.text.c_str(), stdout);
  std::vector<int> cited;
  for (const auto& p : summary.points) cited.insert(cited.end(), p.cited.begin(), p.cited.end());
  std::sort(cited.begin(), cited.end());
  cited.erase(std::unique(cited.begin(), cited.end()), cited.end());
  for (const int n : cited) PrintSource(n, result->read.passages[static_cast<size_t>(n - 1)]);
  std::printf("  (%s%s)\n", std::string(ClassificationName(summary.classification)).c_str(),
              result->read.truncated ? "; only the first 400 passages were read" : "");
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
  ask->add_flag("--check", a->check,
                "Then ask the model whether the cited sources state its answer, and refuse on NO "
                "(one more short model call; for models larger than the 1.5B assistant)");
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
