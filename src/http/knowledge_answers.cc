// Lumin's answers over HTTP: /api/v1/ask, alone or in a conversation.

#include <boost/asio/post.hpp>

#include "http/grounded_calls.h"
#include "http/knowledge_api.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library_json.h"
#include "knowledge/text_analyzer.h"

namespace daulat::http {
namespace {

using nlohmann::json;

std::string LanguageOf(const std::optional<std::string>& asked, const std::string& text) {
  if (asked) return *asked;
  return knowledge::DetectLanguage(text) == "ms" ? "ms" : "en";
}

}  // namespace

void KnowledgeApi::Ask(const CallPtr& call) {
  RequestFields f(call->body, {"question", "collection", "top_k", "model", "language", "stream",
                               "conversation_id"});
  const auto question = f.String("question", true, 4000);
  const auto collection = f.String("collection", false, 64);
  const auto top_k = f.Int("top_k", 1, 20);
  const auto model = f.String("model", false, 64);
  const auto language = f.String("language", false, 2);
  const auto stream = f.Bool("stream");
  const auto conversation = f.String("conversation_id", false, 64);
  if (!f.status().ok()) return call->Fail(f.status());
  if (language && *language != "ms" && *language != "en")
    return call->Fail(InvalidArgument("'language' is \"ms\" or \"en\""), "language");
  call->ctx.audit_action = "ask";
  knowledge::SearchQuery q{*question, collection.value_or(""),
                           static_cast<size_t>(top_k.value_or(5))};
  boost::asio::post(blocking_, [this, call, question = *question, q, m = model.value_or(""),
                                lang = LanguageOf(language, *question), s = stream.value_or(false),
                                conversation]() mutable {
    AskContext context;
    if (conversation) {
      if (s_.conversations == nullptr)
        return call->Fail(NotFound("no conversation '" + *conversation + "'"), "conversation_id");
      const auto& p = call->ctx.caller.principal;
      call->ctx.resource = "conversation:" + *conversation;
      auto turns = s_.conversations->Read(p.tenant_id, p.subject, *conversation, p.clearance, 3);
      if (!turns.ok()) return call->Fail(turns.status(), "conversation_id");
      context = {*conversation, std::move(turns->turns)};
      // A short follow-up ("and the fee?") is searched together with the question before it.
      if (!context.history.empty() && knowledge::TextAnalyzer::QueryTerms(question).size() < 5)
        q.text = context.history.back().question + "\n" + question;
    }
    Answer(call, question, q, m, lang, s, context);
  });
}

void KnowledgeApi::Answer(const CallPtr& call, const std::string& question,
                          const knowledge::SearchQuery& q, const std::string& model_name,
                          const std::string& language, bool stream, const AskContext& context) {
  auto hits = s_.library->Search(ReaderOf(*call), q);
  if (!hits.ok()) return call->Fail(hits.status());
  // Earlier answers the model sees as context lend their labels to this one.
  Classification history_level = Classification::kTerbuka;
  for (const auto& t : context.history) history_level = std::max(history_level, t.classification);
  // The sources as the model saw them (after the PII rule), numbered [1]...
  auto sources = std::make_shared<std::vector<knowledge::SearchHit>>(*hits);
  // The reply: the answer, its citations (document, page, offsets), its
  // label, and any instruction-like text found in the sources; in a
  // conversation it is kept as the next turn before the caller sees it.
  const auto reply = [this, call, stream, sources, language, question, context, history_level](
                         const std::string& draft, bool model_used, size_t withheld) {
    auto finished = knowledge::FinishAnswer(draft, model_used, *sources, language, question);
    if (model_used && !context.history.empty())
      finished.classification = std::max(finished.classification, history_level);
    json result = knowledge::ToJson(finished, *sources, language);
    if (withheld > 0) result["pii_withheld"] = withheld;
    call->ctx.output_text = finished.answer;
    const auto send = [call, stream](const json& final_json) {
      if (!stream) return call->ReplyJson(200, final_json);
      EndStream(call, 200, final_json);
    };
    if (context.conversation_id.empty()) return send(result);
    result["conversation_id"] = context.conversation_id;
    knowledge::Turn turn;
    turn.question = question;
    turn.answer = finished.answer;
    turn.citations = result["citations"];
    turn.classification = finished.classification;
    for (const auto& h : *sources) turn.document_ids.push_back(h.document_id);
    boost::asio::post(blocking_, [this, call, turn, result, send, stream] {
      const auto& p = call->ctx.caller.principal;
      Status st = s_.conversations->Append(p.tenant_id, p.subject, result["conversation_id"], turn);
      if (!st.ok()) return stream ? FailStream(call, st) : call->Fail(st);
      send(result);
    });
  };
  if (hits->empty()) {
    call->ctx.decision_reason = "no source the caller may see matches: answered with the refusal";
    if (stream) call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
    return reply(knowledge::RefusalText(language), false, 0);
  }
  // The answer carries the highest label of its sources (and of the earlier
  // turns it sees): the tenant's policy for that level must allow the model.
  const Classification level = std::max(knowledge::AnswerClassification(*hits, {}), history_level);
  governance::LevelRules rules;
  auto m = ChooseModel(s_, *call, model_name, level, &rules);
  if (!m.ok())
    return call->Fail(m.status(), m.status().code() == StatusCode::kNotFound ? "model" : "");
  auto guarded = GuardInput(s_.pii_scan, rules.pii_prompt, question, *hits, *call);
  if (!guarded.ok()) return call->Fail(guarded.status());
  *sources = guarded->sources;
  if (sources->empty()) {  // every passage held personal data the policy keeps from the model
    if (stream) call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
    return reply(knowledge::RefusalText(language), false, guarded->withheld);
  }
  auto prompt = knowledge::BuildGroundedPrompt(guarded->question, *sources, language);
  for (const auto& t : context.history) prompt.history.emplace_back(t.question, t.answer);
  auto req = GroundedRequest(**m, *call, prompt, level, 400);
  if (!req.ok()) return call->Fail(req.status());
  // The answer passes the level's output rule; masked values come back as the originals.
  governance::PiiScanFn scan = s_.pii_scan;
  if (!scan) scan = [](std::string_view) { return std::vector<governance::PiiFinding>{}; };
  auto guard =
      std::make_shared<governance::OutputGuard>(scan, rules.pii_output, guarded->originals);
  if (stream) call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
  auto text = std::make_shared<std::string>();
  auto ticket = (*m)->scheduler->Submit(
      std::move(*req), [call, text, stream, reply, guard,
                        withheld = guarded->withheld](engine::InferenceUpdate&& u) {
        std::string piece = u.text;
        if (text->empty()) piece.erase(0, std::min(piece.find_first_not_of(" \n"), piece.size()));
        auto released = guard->Push(piece);
        if (released.ok() && u.finished) {
          auto rest = guard->Finish();
          released = rest.ok() ? Result<std::string>(*released + *rest) : rest;
        }
        if (!released.ok()) {
          // Blocked or failed guard: nothing more of this answer leaves.
          if (u.finished)
            return stream ? FailStream(call, released.status()) : call->Fail(released.status());
          return;
        }
        *text += *released;
        if (stream && !released->empty())
          call->responder->SendEvent(JsonText({{"object", "answer.delta"}, {"text", *released}}));
        if (!u.finished) return;
        call->ctx.prompt_tokens = u.stats.prompt_tokens;
        call->ctx.completion_tokens = u.stats.completion_tokens;
        if (!u.status.ok()) return stream ? FailStream(call, u.status) : call->Fail(u.status);
        reply(*text, true, withheld);
      });
  if (!ticket.ok()) return stream ? FailStream(call, ticket.status()) : call->Fail(ticket.status());
  call->responder->OnDisconnect([t = *ticket] { t->Cancel(); });
}

}  // namespace daulat::http
