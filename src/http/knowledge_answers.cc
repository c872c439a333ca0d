// Lumin's model-backed answers over HTTP: /api/v1/ask and /api/v1/summarize.

#include <boost/asio/post.hpp>
#include <mutex>

#include "http/knowledge_api.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library_json.h"
#include "knowledge/summarizer.h"
#include "knowledge/text_analyzer.h"

namespace daulat::http {
namespace {

using nlohmann::json;
using CallPtr = std::shared_ptr<ApiCall>;

// A stream that was begun ends with one final JSON event (the result or an error).
void EndStream(const CallPtr& call, unsigned status, const json& final_json) {
  call->Finish(status);
  call->responder->SendEvent(JsonText(final_json));
  call->responder->SendEvent("[DONE]");
  call->responder->EndEvents();
}

void FailStream(const CallPtr& call, const Status& st) {
  call->ctx.error_message = st.message();
  EndStream(call, ErrorFor(st).status, ErrorBody(st));
}

// The chat model named (or the first one served) when the tenant's policy
// for `level` allows it; records the choice and the decision on the call.
Result<gateway::HostedModel*> ChooseModel(const ApiServices& s, ApiCall& call,
                                          const std::string& name, Classification level) {
  gateway::HostedModel* m = nullptr;
  for (const auto& hosted : s.models->models()) {
    if ((name.empty() && hosted->installed.manifest.HasCapability("chat")) ||
        hosted->installed.manifest.name == name) {
      m = hosted.get();
      break;
    }
  }
  if (m == nullptr || !m->installed.manifest.HasCapability("chat"))
    return NotFound(name.empty() ? "no chat model is served"
                                 : "the model '" + name + "' does not chat");
  call.ctx.model = m->installed.manifest.name;
  call.ctx.classified = true;
  call.ctx.classification = level;
  if (s.policies != nullptr) {
    auto policy = s.policies->Current(call.ctx.caller.principal.tenant_id);
    if (!policy.ok()) return policy.status();
    const auto d = governance::DecideModel(*policy, level, call.ctx.model,
                                           m->installed.manifest.max_classification, "local",
                                           Classification::kRahsiaBesar);
    call.ctx.decision_reason = d.reason;
    if (!d.allowed) return PermissionDenied(d.reason);
  }
  return m;
}

// A grounded prompt as an inference request, greedy, in the tenant's and
// label's own cache partition.
Result<engine::InferenceRequest> GroundedRequest(const gateway::HostedModel& m, const ApiCall& call,
                                                 const knowledge::GroundedPrompt& prompt,
                                                 Classification level, int max_tokens) {
  std::vector<engine::ChatMessage> messages = {{"system", prompt.system}};
  for (const auto& [question, answer] : prompt.history) {
    messages.push_back({"user", question});
    messages.push_back({"assistant", answer});
  }
  messages.push_back({"user", prompt.user});
  auto rendered = m.chat_template->Apply(messages);
  if (!rendered.ok()) return rendered.status();
  engine::InferenceRequest req;
  req.partition = "tenant:" + call.ctx.caller.principal.tenant_id + "|" +
                  std::string(ClassificationName(level));
  req.prompt = m.model->Tokenize(rendered->text, /*add_special=*/true, /*parse_special=*/true);
  req.params.temperature = 0;  // grounded output: no sampling noise
  req.params.max_tokens = max_tokens;
  req.params.stop = rendered->stops;
  req.params.stop.insert(req.params.stop.end(), m.template_stops.begin(), m.template_stops.end());
  return req;
}

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
  // The reply: the answer, its citations (document, page, offsets), its
  // label, and any instruction-like text found in the sources; in a
  // conversation it is kept as the next turn before the caller sees it.
  const auto reply = [this, call, stream, hits = *hits, language, question, context, history_level](
                         const std::string& draft, bool model_used) {
    auto finished = knowledge::FinishAnswer(draft, model_used, hits, language);
    if (model_used && !context.history.empty())
      finished.classification = std::max(finished.classification, history_level);
    json result = knowledge::ToJson(finished, hits, language);
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
    for (const auto& h : hits) turn.document_ids.push_back(h.document_id);
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
    return reply(knowledge::RefusalText(language), false);
  }
  // The answer carries the highest label of its sources (and of the earlier
  // turns it sees): the tenant's policy for that level must allow the model.
  const Classification level = std::max(knowledge::AnswerClassification(*hits, {}), history_level);
  auto m = ChooseModel(s_, *call, model_name, level);
  if (!m.ok())
    return call->Fail(m.status(), m.status().code() == StatusCode::kNotFound ? "model" : "");
  auto prompt = knowledge::BuildGroundedPrompt(question, *hits, language);
  for (const auto& t : context.history) prompt.history.emplace_back(t.question, t.answer);
  auto req = GroundedRequest(**m, *call, prompt, level, 400);
  if (!req.ok()) return call->Fail(req.status());
  if (stream) call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
  auto text = std::make_shared<std::string>();
  auto ticket = (*m)->scheduler->Submit(
      std::move(*req), [call, text, stream, reply](engine::InferenceUpdate&& u) {
        std::string piece = u.text;
        if (text->empty()) piece.erase(0, std::min(piece.find_first_not_of(" \n"), piece.size()));
        *text += piece;
        if (stream && !piece.empty())
          call->responder->SendEvent(JsonText({{"object", "answer.delta"}, {"text", piece}}));
        if (!u.finished) return;
        call->ctx.prompt_tokens = u.stats.prompt_tokens;
        call->ctx.completion_tokens = u.stats.completion_tokens;
        if (!u.status.ok()) return stream ? FailStream(call, u.status) : call->Fail(u.status);
        reply(*text, true);
      });
  if (!ticket.ok()) return stream ? FailStream(call, ticket.status()) : call->Fail(ticket.status());
  call->responder->OnDisconnect([t = *ticket] { t->Cancel(); });
}

struct KnowledgeApi::SummaryState {
  SummaryState(knowledge::Passages p, knowledge::SummaryOptions o)
      : read(std::move(p)), run(read.passages, o), language(o.language) {}
  knowledge::Passages read;
  knowledge::SummaryRun run;
  std::string language;
  bool stream = false;
  Classification level = Classification::kTerbuka;
  std::mutex mu;
  bool cancelled = false;                           // GUARDED_BY(mu)
  std::shared_ptr<engine::InferenceTicket> ticket;  // GUARDED_BY(mu): the call running now
};

void KnowledgeApi::Summarize(const CallPtr& call) {
  RequestFields f(call->body,
                  {"document_id", "collection", "language", "model", "max_points", "stream"});
  const auto document = f.String("document_id", false, 64);
  const auto collection = f.String("collection", false, 64);
  const auto language = f.String("language", false, 2);
  const auto model = f.String("model", false, 64);
  const auto max_points = f.Int("max_points", 1, 20);
  const auto stream = f.Bool("stream");
  if (!f.status().ok()) return call->Fail(f.status());
  if (document.has_value() == collection.has_value())
    return call->Fail(InvalidArgument("give either 'document_id' or 'collection'"), "document_id");
  if (language && *language != "ms" && *language != "en")
    return call->Fail(InvalidArgument("'language' is \"ms\" or \"en\""), "language");
  call->ctx.audit_action = "summarize";
  call->ctx.resource = document ? "document:" + *document : "collection:" + *collection;
  knowledge::PassageScope scope{document.value_or(""), collection.value_or(""), 400};
  boost::asio::post(blocking_, [this, call, scope, language, m = model.value_or(""),
                                points = max_points.value_or(8), s = stream.value_or(false)] {
    auto read = s_.library->PassagesOf(ReaderOf(*call), scope);
    if (!read.ok()) return call->Fail(read.status());
    std::string sample;
    for (size_t i = 0; i < read->passages.size() && sample.size() < 4000; ++i)
      sample += read->passages[i].text + "\n";
    knowledge::SummaryOptions options;
    options.language = LanguageOf(language, sample);
    options.max_points = static_cast<size_t>(points);
    auto state = std::make_shared<SummaryState>(std::move(read).value(), options);
    state->stream = s;
    for (const auto& p : state->read.passages)
      state->level = std::max(state->level, p.classification);
    gateway::HostedModel* hosted = nullptr;
    if (!state->read.passages.empty()) {
      auto chosen = ChooseModel(s_, *call, m, state->level);
      if (!chosen.ok())
        return call->Fail(chosen.status(),
                          chosen.status().code() == StatusCode::kNotFound ? "model" : "");
      hosted = *chosen;
    }
    if (s) call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
    call->responder->OnDisconnect([state] {
      std::lock_guard lock(state->mu);
      state->cancelled = true;
      if (state->ticket) state->ticket->Cancel();
    });
    SummaryStep(call, hosted, state);
  });
}

void KnowledgeApi::SummaryStep(const CallPtr& call, gateway::HostedModel* m,
                               const std::shared_ptr<SummaryState>& state) {
  {
    std::lock_guard lock(state->mu);
    if (state->cancelled) return call->Finish(499);  // nobody left to tell
  }
  auto prompt = state->run.Next();
  if (!prompt) {
    const auto summary = state->run.Finish();
    const json result = knowledge::ToJson(summary, state->read, state->language);
    call->ctx.output_text = summary.text;
    call->ctx.decision_reason += (call->ctx.decision_reason.empty() ? "" : "; ") +
                                 std::to_string(state->read.passages.size()) + " passages, " +
                                 std::to_string(summary.points.size()) + " key points";
    if (!state->stream) return call->ReplyJson(200, result);
    return EndStream(call, 200, result);
  }
  if (state->stream)
    call->responder->SendEvent(JsonText({{"object", "summary.progress"},
                                         {"done", state->run.calls_done()},
                                         {"total", state->run.calls_planned()}}));
  auto req = GroundedRequest(*m, *call, *prompt, state->level, 400);
  if (!req.ok()) return state->stream ? FailStream(call, req.status()) : call->Fail(req.status());
  auto text = std::make_shared<std::string>();
  auto ticket = m->scheduler->Submit(
      std::move(*req), [this, call, m, state, text](engine::InferenceUpdate&& u) {
        *text += u.text;
        if (!u.finished) return;
        call->ctx.prompt_tokens += u.stats.prompt_tokens;
        call->ctx.completion_tokens += u.stats.completion_tokens;
        if (!u.status.ok())
          return state->stream ? FailStream(call, u.status) : call->Fail(u.status);
        // The next step parses and plans off the scheduler's thread.
        boost::asio::post(blocking_, [this, call, m, state, text] {
          state->run.Accept(*text);
          SummaryStep(call, m, state);
        });
      });
  if (!ticket.ok())
    return state->stream ? FailStream(call, ticket.status()) : call->Fail(ticket.status());
  std::lock_guard lock(state->mu);
  state->ticket = *ticket;
  if (state->cancelled) state->ticket->Cancel();
}

}  // namespace daulat::http
