// Lumin's summaries over HTTP: /api/v1/summarize, map-reduce driven through
// the scheduler one model call at a time.

#include <boost/asio/post.hpp>
#include <mutex>

#include "http/grounded_calls.h"
#include "http/knowledge_api.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"
#include "knowledge/library_json.h"
#include "knowledge/summarizer.h"

namespace daulat::http {
namespace {

using nlohmann::json;

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

}  // namespace

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
    knowledge::SummaryOptions options;
    options.language = language ? *language : knowledge::PassagesLanguage(read->passages);
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
