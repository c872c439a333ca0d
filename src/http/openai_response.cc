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
struct Response {
  std::shared_ptr<ApiCall> call;
  std::shared_ptr<gateway::Generation> generation;
  OpenAiResponseOptions options;
  std::string id = NewId(options.chat ? "chatcmpl-" : "cmpl-");
  int64_t created = UnixSeconds();
  std::string model;
  bool first = true;
  bool begun = false;

  Response(std::shared_ptr<ApiCall> c, std::shared_ptr<gateway::Generation> g,
           const OpenAiResponseOptions& o)
      : call(std::move(c)), generation(std::move(g)), options(o), model(generation->model()) {}

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
    json choice = {{"index", 0}, {"finish_reason", finish}, {"logprobs", nullptr}};
    if (options.chat) {
      json d = json::object();
      if (first) d["role"] = "assistant";
      if (!delta.empty() || first) d["content"] = delta;
      choice["delta"] = std::move(d);
    } else {
      choice["text"] = delta;
    }
    first = false;
    json c = Envelope(options.chat ? "chat.completion.chunk" : "text_completion");
    c["choices"] = json::array({std::move(choice)});
    return c;
  }
  json Whole(const gateway::GenerationOutcome& o) const {
    json choice = {{"index", 0}, {"finish_reason", FinishReason(o)}, {"logprobs", nullptr}};
    if (options.chat) {
      choice["message"] = {{"role", "assistant"}, {"content", o.text}};
      if (!o.tool_calls.empty()) {
        choice["message"]["tool_calls"] = ToolCalls(o.tool_calls, false);
        if (o.text.empty()) choice["message"]["content"] = nullptr;
      }
    } else {
      choice["text"] = o.text;
    }
    json body = Envelope(options.chat ? "chat.completion" : "text_completion");
    body["choices"] = json::array({std::move(choice)});
    body["usage"] = Usage(o.stats);
    return body;
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
    if (!options.stream || (!begun && !o.status.ok())) {
      if (!o.status.ok()) return call->Fail(o.status, o.param);
      return call->ReplyJson(200, Whole(o));
    }
    Begin();
    EndStream(o);
  }
  void EndStream(const gateway::GenerationOutcome& o) {
    auto& r = *call->responder;
    if (!o.status.ok()) {
      call->ctx.error_message = o.status.message();
      r.SendEvent(JsonText(ErrorBody(o.status, o.param)));
    } else {
      if (!o.tool_calls.empty() || (first && !o.text.empty())) {
        json c = Chunk(o.text, nullptr);
        if (!o.tool_calls.empty())
          c["choices"][0]["delta"]["tool_calls"] = ToolCalls(o.tool_calls, true);
        r.SendEvent(JsonText(c));
      }
      if (first) r.SendEvent(JsonText(Chunk("", nullptr)));
      r.SendEvent(JsonText(Chunk("", FinishReason(o))));
      if (options.include_usage) {
        json usage = Envelope(options.chat ? "chat.completion.chunk" : "text_completion");
        usage["choices"] = json::array();
        usage["usage"] = Usage(o.stats);
        r.SendEvent(JsonText(usage));
      }
    }
    call->Finish(o.status.ok() ? 200 : ErrorFor(o.status).status);  // audit before [DONE]
    r.SendEvent("[DONE]");
    r.EndEvents();
  }
};

}  // namespace

void RespondOpenAi(const std::shared_ptr<ApiCall>& call,
                   const std::shared_ptr<gateway::Generation>& generation,
                   gateway::GenerationRequest request, const OpenAiResponseOptions& options) {
  auto response = std::make_shared<Response>(call, generation, options);
  gateway::GenerationCallbacks callbacks;
  callbacks.on_text = [response](const std::string& piece) { response->OnText(piece); };
  callbacks.on_done = [response](gateway::GenerationOutcome&& o) {
    response->OnDone(std::move(o));
  };
  // Before the start: a client that leaves at once still cancels the call.
  call->responder->OnDisconnect([generation] { generation->Cancel(); });
  generation->StartOnWorker(std::move(request), std::move(callbacks));
}

json Usage(const engine::GenerationStats& s) {
  return {{"prompt_tokens", s.prompt_tokens},
          {"completion_tokens", s.completion_tokens},
          {"total_tokens", s.prompt_tokens + s.completion_tokens}};
}

}  // namespace daulat::http
