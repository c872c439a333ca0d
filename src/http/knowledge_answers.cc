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
// for `level` allows it; records the choice and the decision on the call,
// and the level's rules in `rules`.
Result<gateway::HostedModel*> ChooseModel(const ApiServices& s, ApiCall& call,
                                          const std::string& name, Classification level,
                                          governance::LevelRules* rules) {
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
  *rules = governance::DefaultPolicy().at(level);
  if (s.policies != nullptr) {
    auto policy = s.policies->Current(call.ctx.caller.principal.tenant_id);
    if (!policy.ok()) return policy.status();
    *rules = policy->at(level);
    call.ctx.policy_version = policy->version;
    const auto d = governance::DecideModel(*policy, level, call.ctx.model,
                                           m->installed.manifest.max_classification, "local",
                                           Classification::kRahsiaBesar);
    call.ctx.decision_reason = d.reason;
    if (!d.allowed) return PermissionDenied(d.reason);
  }
  return m;
}

// What reaches the model after the level's prompt rule for personal data:
// as it is (allow); masked with one numbering across the question and every
// passage, the originals kept to restore in the answer (mask); or, for block,
// passages with personal data withheld from the model and a question with it
// refused. The findings are counted on the call for the audit record.
struct GuardedInput {
  std::string question;
  std::vector<knowledge::SearchHit> sources;
  std::map<std::string, std::string> originals;
  size_t withheld = 0;
};

Result<GuardedInput> GuardInput(const governance::PiiScanFn& scan, governance::PiiMode mode,
                                const std::string& question,
                                const std::vector<knowledge::SearchHit>& hits, ApiCall& call) {
  std::vector<std::string_view> texts;
  for (const auto& h : hits) texts.emplace_back(h.text);
  auto g = governance::GuardModelInput(scan, mode, question, texts);
  if (!g.ok()) {
    call.ctx.decision_reason += "; " + g.status().message();
    return g.status();
  }
  GuardedInput out{g->question, {}, std::move(g->originals), hits.size() - g->kept.size()};
  for (size_t i = 0; i < g->kept.size(); ++i) {
    out.sources.push_back(hits[g->kept[i]]);
    out.sources.back().text = std::move(g->passages[i]);
  }
  for (const auto& f : g->findings)
    ++call.ctx.pii_counts[std::string(governance::PiiTypeName(f.type))];
  if (!g->findings.empty())
    call.ctx.decision_reason +=
        mode == governance::PiiMode::kMask
            ? "; personal data in the question and sources masked before the model"
            : "; " + std::to_string(out.withheld) + " passages with personal data withheld";
  return out;
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
  const auto& grounded = knowledge::GroundedStops();
  req.params.stop.insert(req.params.stop.end(), grounded.begin(), grounded.end());
  return req;
}

// Each key point passes the level's output rule, masked values restored;
// a point the rule blocks is dropped. INTERNAL when the guard fails.
Status GuardPoints(const governance::PiiScanFn& scan, governance::PiiMode mode,
                   const std::map<std::string, std::string>& originals, knowledge::Summary& s) {
  if (!scan) return Status::Ok();
  std::vector<knowledge::KeyPoint> kept;
  for (auto& p : s.points) {
    governance::OutputGuard guard(scan, mode, originals);
    auto head = guard.Push(p.text);
    auto tail = head.ok() ? guard.Finish() : head;
    if (!tail.ok() && tail.status().code() == StatusCode::kPermissionDenied) {
      ++s.dropped_points;
      continue;
    }
    if (!tail.ok()) return tail.status();
    p.text = *head + *tail;
    kept.push_back(std::move(p));
  }
  s.points = std::move(kept);
  s.text = knowledge::SummaryText(s.points);
  return Status::Ok();
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

struct KnowledgeApi::SummaryState {
  SummaryState(knowledge::Passages p, const knowledge::SummaryOptions& o)
      : read(std::move(p)), run(read.passages, o), language(o.language) {}
  knowledge::Passages read;
  knowledge::SummaryRun run;
  std::string language;
  bool stream = false;
  Classification level = Classification::kTerbuka;
  governance::LevelRules rules;
  std::map<std::string, std::string> originals;  // masked values, restored in the points
  size_t withheld = 0;                           // passages kept from the model (PII, block)
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
    Classification level = Classification::kTerbuka;
    for (const auto& p : read->passages) level = std::max(level, p.classification);
    gateway::HostedModel* hosted = nullptr;
    governance::LevelRules rules;
    GuardedInput guarded{"", read->passages, {}, 0};
    if (!read->passages.empty()) {
      auto chosen = ChooseModel(s_, *call, m, level, &rules);
      if (!chosen.ok())
        return call->Fail(chosen.status(),
                          chosen.status().code() == StatusCode::kNotFound ? "model" : "");
      hosted = *chosen;
      auto g = GuardInput(s_.pii_scan, rules.pii_prompt, "", read->passages, *call);
      if (!g.ok()) return call->Fail(g.status());
      guarded = std::move(g).value();
    }
    auto state = std::make_shared<SummaryState>(
        knowledge::Passages{std::move(guarded.sources), read->truncated}, options);
    state->stream = s;
    state->level = level;
    state->rules = rules;
    state->originals = std::move(guarded.originals);
    state->withheld = guarded.withheld;
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
    auto summary = state->run.Finish();
    if (Status st = GuardPoints(s_.pii_scan, state->rules.pii_output, state->originals, summary);
        !st.ok())
      return state->stream ? FailStream(call, st) : call->Fail(st);
    json result = knowledge::ToJson(summary, state->read, state->language);
    if (state->withheld > 0) result["pii_withheld"] = state->withheld;
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
