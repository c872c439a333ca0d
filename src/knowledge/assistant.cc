#include "knowledge/assistant.h"

#include <algorithm>
#include <map>

#include "knowledge/library_json.h"
#include "knowledge/text_analyzer.h"

namespace daulat::knowledge {
namespace {

// The sources as the model may read them: the kept ones, their text guarded.
std::vector<SearchHit> Guarded(const std::vector<SearchHit>& hits, GuardedSources& g) {
  std::vector<SearchHit> out;
  for (size_t i = 0; i < g.kept.size(); ++i) {
    out.push_back(hits[g.kept[i]]);
    out.back().text = std::move(g.passages[i]);
  }
  return out;
}

Result<GuardedSources> GuardAll(TextGenerator& model, std::string_view question,
                                const std::vector<SearchHit>& hits) {
  std::vector<std::string_view> texts;
  texts.reserve(hits.size());
  for (const auto& h : hits) texts.emplace_back(h.text);
  return model.Guard(question, texts);
}

}  // namespace

nlohmann::json ToJson(const AskResult& r) {
  nlohmann::json j = ToJson(r.answer, r.sources, r.language);
  if (r.withheld > 0) j["pii_withheld"] = r.withheld;
  if (!r.conversation_id.empty()) j["conversation_id"] = r.conversation_id;
  return j;
}

nlohmann::json ToJson(const SummaryResult& r) {
  nlohmann::json j = ToJson(r.summary, r.read, r.language);
  if (r.withheld > 0) j["pii_withheld"] = r.withheld;
  return j;
}

Result<AskResult> Assistant::Ask(const Reader& reader, const AskRequest& request,
                                 TextGenerator& model,
                                 const std::function<void(const std::string&)>& on_text) const {
  AskResult out;
  out.language = !request.language.empty()                  ? request.language
                 : DetectLanguage(request.question) == "ms" ? "ms"
                                                            : "en";
  out.conversation_id = request.conversation_id;
  SearchQuery q{request.question, request.collection, request.top_k};
  std::vector<Turn> history;
  if (!request.conversation_id.empty()) {
    if (conversations_ == nullptr)
      return NotFound("no conversation '" + request.conversation_id + "'");
    auto turns = conversations_->Read(
        reader.tenant_id, request.owner, request.conversation_id, reader.clearance,
        [&](const std::string& document) { return library_.MaySee(reader, document); }, 3);
    if (!turns.ok()) return turns.status();
    history = std::move(turns->turns);
    // A short follow-up ("and the fee?") is searched together with the question before it.
    if (!history.empty() && TextAnalyzer::QueryTerms(request.question).size() < 5)
      q.text = history.back().question + "\n" + request.question;
  }
  auto hits = library_.Search(reader, q);
  if (!hits.ok()) return hits.status();
  // Earlier answers the model sees as context lend their labels to this one.
  Classification history_level = Classification::kTerbuka;
  for (const auto& t : history) history_level = std::max(history_level, t.classification);

  std::string draft, model_question;
  if (!hits->empty()) {
    // The answer carries the highest label of its sources (and of the
    // turns it sees): the policy for that level must allow the model.
    const Classification level = std::max(AnswerClassification(*hits), history_level);
    DAULAT_RETURN_IF_ERROR(model.Open(level));
    // The passages, then each earlier turn's question and answer, pass the
    // personal-data rule together: a turn it withholds is left out of the
    // context (the rest of the conversation goes on).
    std::vector<std::string_view> texts;
    for (const auto& h : *hits) texts.emplace_back(h.text);
    for (const auto& t : history) {
      texts.emplace_back(t.question);
      texts.emplace_back(t.answer);
    }
    auto guarded = model.Guard(request.question, texts);
    if (!guarded.ok()) return guarded.status();
    GuardedSources passages{guarded->question, {}, {}};
    std::map<size_t, std::string> turn_texts;  // by index into question, answer, question, ...
    for (size_t i = 0; i < guarded->kept.size(); ++i) {
      const size_t at = guarded->kept[i];
      if (at < hits->size()) {
        passages.passages.push_back(std::move(guarded->passages[i]));
        passages.kept.push_back(at);
      } else {
        turn_texts[at - hits->size()] = std::move(guarded->passages[i]);
      }
    }
    model_question = passages.question;
    out.sources = Guarded(*hits, passages);
    // A source is labelled replaced only by another source the model reads:
    // one the personal-data rule withheld is not named either.
    for (auto& source : out.sources) {
      if (std::none_of(out.sources.begin(), out.sources.end(), [&](const SearchHit& other) {
            return other.document_id == source.replaced_by_document;
          })) {
        source.replaced_by.clear();
        source.replaced_by_document.clear();
      }
    }
    out.withheld = hits->size() - out.sources.size();
    if (!out.sources.empty()) {
      auto prompt = BuildGroundedPrompt(passages.question, out.sources, out.language);
      for (size_t t = 0; t < history.size(); ++t) {
        const auto asked = turn_texts.find(2 * t), said = turn_texts.find(2 * t + 1);
        if (asked != turn_texts.end() && said != turn_texts.end())
          prompt.history.emplace_back(asked->second, said->second);
      }
      // With the support check the answer is not streamed: it may yet become the refusal.
      auto text = model.Generate(prompt, 400, request.check_support ? nullptr : on_text);
      if (!text.ok()) return text.status();
      draft = std::move(text).value();
      out.model_used = true;
    }
  }
  out.answer = FinishAnswer(draft, out.model_used, out.sources, out.language, request.question);
  if (request.check_support && out.model_used && !out.answer.refused && !out.answer.cited.empty()) {
    auto verdict = model.Generate(BuildSupportCheckPrompt(model_question, out.answer, out.sources),
                                  3, nullptr);
    // The output rule blocking the one-word verdict leaves the answer as it was.
    if (!verdict.ok() && verdict.status().code() != StatusCode::kPermissionDenied)
      return verdict.status();
    if (verdict.ok() && SupportVerdict(*verdict) == false)
      RefuseUnsupported(out.answer, out.language);
  }
  if (out.model_used && !history.empty())
    out.answer.classification = std::max(out.answer.classification, history_level);
  if (request.conversation_id.empty()) return out;
  Turn turn;
  turn.question = request.question;
  turn.answer = out.answer.answer;
  turn.citations = ToJson(out)["citations"];
  turn.classification = out.answer.classification;
  for (const auto& h : out.sources) turn.document_ids.push_back(h.document_id);
  // The earlier turns the model read lend their sources too: a follow-up can
  // repeat them, so it must be hidden from whoever may no longer see them.
  if (out.model_used) {
    for (const auto& t : history) {
      for (const auto& id : t.document_ids) {
        if (std::find(turn.document_ids.begin(), turn.document_ids.end(), id) ==
            turn.document_ids.end())
          turn.document_ids.push_back(id);
      }
    }
  }
  DAULAT_RETURN_IF_ERROR(
      conversations_->Append(reader.tenant_id, request.owner, request.conversation_id, turn));
  return out;
}

Result<SummaryResult> Assistant::Summarize(
    const Reader& reader, const SummarizeRequest& request, TextGenerator& model,
    const std::function<void(size_t, size_t)>& on_progress) const {
  auto read = library_.PassagesOf(reader, request.scope);
  if (!read.ok()) return read.status();
  SummaryResult out;
  out.language = !request.language.empty() ? request.language : PassagesLanguage(read->passages);
  out.read.truncated = read->truncated;
  if (!read->passages.empty()) {
    Classification level = Classification::kTerbuka;
    for (const auto& p : read->passages) level = std::max(level, p.classification);
    DAULAT_RETURN_IF_ERROR(model.Open(level));
    auto guarded = GuardAll(model, "", read->passages);
    if (!guarded.ok()) return guarded.status();
    out.read.passages = Guarded(read->passages, *guarded);
    out.withheld = read->passages.size() - out.read.passages.size();
  }
  SummaryOptions options;
  options.language = out.language;
  options.max_points = request.max_points;
  SummaryRun run(out.read.passages, options);
  size_t blocked = 0;
  while (auto prompt = run.Next()) {
    if (on_progress) on_progress(run.calls_done(), run.calls_planned());
    auto text = model.Generate(*prompt, 400, nullptr);
    if (!text.ok() && text.status().code() != StatusCode::kPermissionDenied) return text.status();
    if (!text.ok()) ++blocked;  // the output rule kept this call's points back
    run.Accept(text.ok() ? *text : std::string());
  }
  out.summary = run.Finish();
  out.summary.dropped_points += blocked;
  return out;
}

}  // namespace daulat::knowledge
