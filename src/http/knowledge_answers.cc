// Lumin's answers and summaries over HTTP: /api/v1/ask and /api/v1/summarize.
// Parse, run the assistant (knowledge/assistant.h) with the governed model
// on Lumin's own workers, serialise.

#include <boost/asio/post.hpp>

#include "http/governed_generator.h"
#include "http/knowledge_api.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"
#include "knowledge/assistant.h"

namespace daulat::http {
namespace {

using nlohmann::json;
using CallPtr = std::shared_ptr<ApiCall>;

// A reply that may stream: events begin with the first one, so a failure
// before it is still a plain HTTP error. One thread at a time.
class LuminReply {
 public:
  LuminReply(CallPtr call, bool stream) : call_(std::move(call)), stream_(stream) {}

  void Event(const json& event) {
    if (!stream_) return;
    Begin();
    call_->responder->SendEvent(JsonText(event));
  }
  void Done(const json& result) {
    if (!stream_) return call_->ReplyJson(200, result);
    Begin();
    End(200, result);
  }
  void Fail(const Status& st, const std::string& param = "") {
    if (st.code() == StatusCode::kCancelled && call_->responder->disconnected())
      return call_->Finish(499);  // nobody left to tell
    const Status shown = st.code() == StatusCode::kCancelled
                             ? Unavailable("the server is shutting down; the answer was cancelled")
                             : st;
    if (!begun_) return call_->Fail(shown, param);
    call_->ctx.error_message = shown.message();
    End(ErrorFor(shown).status, ErrorBody(shown, param));
  }

 private:
  void Begin() {
    if (begun_) return;
    call_->responder->BeginEvents({{"X-Request-Id", call_->ctx.request_id}});
    begun_ = true;
  }
  // A stream ends with one final JSON event (the result or an error).
  // A stream whose audit record was lost ends with an error, not the result.
  void End(unsigned status, const json& final_json) {
    call_->Finish(status, [r = call_->responder, text = JsonText(final_json)](bool recorded) {
      r->SendEvent(recorded ? text : JsonText(ErrorBody(AnswerWithheld(), "")));
      r->SendEvent("[DONE]");
      r->EndEvents();
    });
  }

  CallPtr call_;
  bool stream_;
  bool begun_ = false;
};

// Runs `start` at once for a whole answer; for a stream, once its opening
// is on record (and never when it cannot be: the call is answered then).
void WhenOpen(const CallPtr& call, bool stream, std::function<void()> start) {
  if (!stream) return start();
  call->OpenStream([start = std::move(start)](bool may) {
    if (may) start();
  });
}

// The field a NOT_FOUND is about, for the error's `param`: the model, the
// conversation, or (a document, a collection) none.
std::string ParamOf(const Status& st) {
  if (st.code() != StatusCode::kNotFound) return "";
  const std::string& m = st.message();
  if (m.rfind("the model", 0) == 0 || m.rfind("no chat model", 0) == 0) return "model";
  if (m.find("conversation") != std::string::npos) return "conversation_id";
  return "";
}

}  // namespace

std::shared_ptr<GovernedGenerator> KnowledgeApi::ModelFor(const CallPtr& call, gateway::Job job,
                                                          const std::string& model) {
  auto generator = std::make_shared<GovernedGenerator>(*s_.generation, call->ctx,
                                                       s_.generation->ModelFor(job, model));
  call->responder->OnDisconnect([generator] { generator->Cancel(); });
  return generator;
}

void KnowledgeApi::Ask(const CallPtr& call) {
  RequestFields f(call->body, {"question", "collection", "top_k", "model", "language", "stream",
                               "conversation_id", "check"});
  const auto question = f.String("question", true, 4000);
  const auto collection = f.String("collection", false, 64);
  const auto top_k = f.Int("top_k", 1, 20);
  const auto model = f.String("model", false, 64);
  const auto language = f.String("language", false, 2);
  const auto stream = f.Bool("stream");
  const auto conversation = f.String("conversation_id", false, 64);
  const auto check = f.Bool("check");
  if (!f.status().ok()) return call->Fail(f.status());
  if (language && *language != "ms" && *language != "en")
    return call->Fail(InvalidArgument("'language' is \"ms\" or \"en\""), "language");
  call->ctx.audit_action = "ask";
  if (conversation) call->ctx.resource = "conversation:" + *conversation;
  if (Status st = s_.generation->Admit(call->ctx); !st.ok()) return call->Fail(st);
  knowledge::AskRequest request;
  request.question = *question;
  request.collection = collection.value_or("");
  request.top_k = static_cast<size_t>(top_k.value_or(5));
  request.language = language.value_or("");
  request.conversation_id = conversation.value_or("");
  request.owner = call->ctx.caller.principal.subject;
  request.check_support = check.value_or(false);
  const bool s = stream.value_or(false);
  WhenOpen(call, s, [this, call, request, m = model.value_or(""), s] {
    PostFor(assistant_pool_, call, [this, call, request, m, s] {
      auto generator = ModelFor(call, gateway::Job::kAnswers, m);
      LuminReply reply(call, s);
      auto answer =
          assistant_.Ask(ReaderOf(*call), request, *generator, [&reply](const std::string& piece) {
            reply.Event({{"object", "answer.delta"}, {"text", piece}});
          });
      if (!answer.ok()) return reply.Fail(answer.status(), ParamOf(answer.status()));
      if (!answer->model_used)
        call->ctx.decision_reason +=
            (call->ctx.decision_reason.empty() ? "" : "; ") +
            std::string(answer->sources.empty() && answer->withheld == 0
                            ? "no source the caller may see matches: answered with the refusal"
                            : "every source held personal data the policy keeps from the model");
      call->ctx.output_text = answer->answer.answer;
      reply.Done(knowledge::ToJson(*answer));
    });
  });
}

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
  if (Status st = s_.generation->Admit(call->ctx); !st.ok()) return call->Fail(st);
  knowledge::SummarizeRequest request;
  request.scope = {document.value_or(""), collection.value_or(""), 400};
  request.language = language.value_or("");
  request.max_points = static_cast<size_t>(max_points.value_or(8));
  const bool s = stream.value_or(false);
  WhenOpen(call, s, [this, call, request, m = model.value_or(""), s] {
    PostFor(assistant_pool_, call, [this, call, request, m, s] {
      auto generator = ModelFor(call, gateway::Job::kSummaries, m);
      LuminReply reply(call, s);
      auto summary = assistant_.Summarize(
          ReaderOf(*call), request, *generator, [&reply](size_t done, size_t total) {
            reply.Event({{"object", "summary.progress"}, {"done", done}, {"total", total}});
          });
      if (!summary.ok()) return reply.Fail(summary.status(), ParamOf(summary.status()));
      call->ctx.output_text = summary->summary.text;
      call->ctx.decision_reason += (call->ctx.decision_reason.empty() ? "" : "; ") +
                                   std::to_string(summary->read.passages.size()) + " passages, " +
                                   std::to_string(summary->summary.points.size()) + " key points";
      reply.Done(knowledge::ToJson(*summary));
    });
  });
}

}  // namespace daulat::http
