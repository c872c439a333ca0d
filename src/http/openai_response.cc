#include "http/openai_response.h"

#include "common/clock.h"
#include "common/random_id.h"
#include "http/openai_errors.h"

namespace daulat::http {
namespace {

using nlohmann::json;

const char* FinishReason(const gateway::GenerationOutcome& o) {
  if (o.content_filtered) return "content_filter";
  if (!o.tool_calls.empty()) return "tool_calls";
  return o.finish == engine::FinishReason::kLength ? "length" : "stop";
}

json ToolCalls(const std::vector<gateway::ToolCall>& calls, bool indexed) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    json c = {{"id", calls[i].id},
              {"type", "function"},
              {"function", {{"name", calls[i].name}, {"arguments", calls[i].arguments}}}};
    if (indexed) c["index"] = i;
    out.push_back(std::move(c));
  }
  return out;
}

// One response in the making. Its callbacks run one at a time (the call's
// strand, or a worker for a refusal): a stream begins with its first piece,
// so a request refused before the model runs gets a plain HTTP error.
struct Response : std::enable_shared_from_this<Response> {
  std::shared_ptr<ApiCall> call;
  std::shared_ptr<gateway::Generation> generation;
  OpenAiResponseOptions options;
  gateway::GenerationRequest request;  // again for each further choice
  std::string id = NewId(options.chat ? "chatcmpl-" : "cmpl-");
  int64_t created = UnixSeconds();
  std::string model;
  int choice = 0;      // the choice being written
  bool first = true;   // no chunk of this choice yet
  bool begun = false;  // the stream's headers are out
  json whole_choices = json::array();
  engine::GenerationStats usage;  // the prompt once, every choice's completion

  Response(std::shared_ptr<ApiCall> c, std::shared_ptr<gateway::Generation> g,
           const OpenAiResponseOptions& o, gateway::GenerationRequest r)
      : call(std::move(c)),
        generation(std::move(g)),
        options(o),
        request(std::move(r)),
        model(generation->model()) {}

  gateway::GenerationCallbacks Callbacks() {
    gateway::GenerationCallbacks callbacks;
    callbacks.on_text = [self = shared_from_this()](const std::string& piece) {
      self->OnText(piece);
    };
    callbacks.on_done = [self = shared_from_this()](gateway::GenerationOutcome&& o) {
      self->OnDone(std::move(o));
    };
    return callbacks;
  }
  // The next choice: its own seed when one was given, so choices differ.
  gateway::GenerationRequest NextRequest() const {
    gateway::GenerationRequest r = request;
    if (r.params.seed) r.params.seed = *r.params.seed + static_cast<uint32_t>(choice);
    return r;
  }

  void Begin() {
    if (begun) return;
    call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
    begun = true;
  }

  json Envelope(const char* object) const {
    return {{"id", id},
            {"object", object},
            {"created", created},
            {"model", model},
            {"system_fingerprint", "daulat"}};
  }
  json Chunk(const std::string& delta, const json& finish) {
    json one = {{"index", choice}, {"finish_reason", finish}, {"logprobs", nullptr}};
    if (options.chat) {
      json d = json::object();
      if (first) d["role"] = "assistant";
      if (!delta.empty() || first) d["content"] = delta;
      one["delta"] = std::move(d);
    } else {
      one["text"] = delta;
    }
    first = false;
    json c = Envelope(options.chat ? "chat.completion.chunk" : "text_completion");
    c["choices"] = json::array({std::move(one)});
    return c;
  }
  json WholeChoice(const gateway::GenerationOutcome& o) const {
    json one = {{"index", choice}, {"finish_reason", FinishReason(o)}, {"logprobs", nullptr}};
    if (options.chat) {
      one["message"] = {{"role", "assistant"}, {"content", o.text}};
      if (!o.tool_calls.empty()) {
        one["message"]["tool_calls"] = ToolCalls(o.tool_calls, false);
        if (o.text.empty()) one["message"]["content"] = nullptr;
      }
    } else {
      one["text"] = o.text;
    }
    return one;
  }

  void OnText(const std::string& piece) {
    if (!options.stream) return;
    Begin();
    call->responder->SendEvent(JsonText(Chunk(piece, nullptr)));
  }
  void OnDone(gateway::GenerationOutcome&& o) {
    if (o.finish == engine::FinishReason::kCancelled && o.status.ok()) {
      if (call->responder->disconnected()) return call->Finish(499);  // nobody to tell
      o.status = Unavailable("the server is shutting down; the generation was cancelled");
    }
    if (!o.status.ok()) {
      if (!begun) return call->Fail(o.status, o.param);
      call->ctx.error_message = o.status.message();
      call->responder->SendEvent(JsonText(ErrorBody(o.status, o.param)));
      return EndStream(ErrorFor(o.status).status);
    }
    if (choice == 0) usage.prompt_tokens = o.stats.prompt_tokens;
    usage.completion_tokens += o.stats.completion_tokens;
    if (options.stream) {
      Begin();
      FinishChoice(o);
    } else {
      whole_choices.push_back(WholeChoice(o));
    }
    if (++choice < options.n) {
      first = true;
      auto started = generation->Start(NextRequest(), Callbacks());
      if (!started.status.ok()) {
        gateway::GenerationOutcome refused;
        refused.status = started.status;
        refused.param = started.param;
        OnDone(std::move(refused));
      }
      return;
    }
    if (!options.stream) {
      json body = Envelope(options.chat ? "chat.completion" : "text_completion");
      body["choices"] = std::move(whole_choices);
      body["usage"] = Usage(usage);
      return call->ReplyJson(200, body);
    }
    if (options.include_usage) {
      json last = Envelope(options.chat ? "chat.completion.chunk" : "text_completion");
      last["choices"] = json::array();
      last["usage"] = Usage(usage);
      call->responder->SendEvent(JsonText(last));
    }
    EndStream(200);
  }
  // The end of one streamed choice: what was not streamed as it came (tool
  // calls, text released whole), then its finish reason.
  void FinishChoice(const gateway::GenerationOutcome& o) {
    auto& r = *call->responder;
    if (!o.tool_calls.empty() || (first && !o.text.empty())) {
      json c = Chunk(o.text, nullptr);
      if (!o.tool_calls.empty())
        c["choices"][0]["delta"]["tool_calls"] = ToolCalls(o.tool_calls, true);
      r.SendEvent(JsonText(c));
    }
    if (first) r.SendEvent(JsonText(Chunk("", nullptr)));
    r.SendEvent(JsonText(Chunk("", FinishReason(o))));
  }
  // The audit record before [DONE]; a stream whose record was lost ends
  // with an error instead.
  void EndStream(unsigned status) {
    call->Finish(status, [r = call->responder](bool recorded) {
      if (!recorded) r->SendEvent(JsonText(ErrorBody(AnswerWithheld(), "")));
      r->SendEvent("[DONE]");
      r->EndEvents();
    });
  }
};

}  // namespace

void RespondOpenAi(const std::shared_ptr<ApiCall>& call,
                   const std::shared_ptr<gateway::Generation>& generation,
                   gateway::GenerationRequest request, const OpenAiResponseOptions& options) {
  auto response = std::make_shared<Response>(call, generation, options, std::move(request));
  // Before the start: a client that leaves at once still cancels the call.
  call->responder->OnDisconnect([generation] { generation->Cancel(); });
  if (!options.stream)
    return generation->StartOnWorker(response->NextRequest(), response->Callbacks());
  call->OpenStream([response](bool may) {
    if (may) response->generation->StartOnWorker(response->NextRequest(), response->Callbacks());
  });
}

json Usage(const engine::GenerationStats& s) {
  return {{"prompt_tokens", s.prompt_tokens},
          {"completion_tokens", s.completion_tokens},
          {"total_tokens", s.prompt_tokens + s.completion_tokens}};
}

}  // namespace daulat::http
