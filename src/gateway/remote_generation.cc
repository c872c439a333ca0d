// Generation::StartRemote: a model call to a remote OpenAI-compatible engine
// (through the egress guard), its answer guarded like a local one.

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "gateway/generation_call.h"

namespace daulat::gateway {
namespace {

using nlohmann::json;

// The request as the remote engine reads it: only what the caller asked
// for, after the prompt rule (the texts are already masked).
json RemoteBody(const std::string& model, const GenerationRequest& r) {
  const auto& p = r.params;
  json body = {{"model", model},
               {"stream", false},
               {"temperature", p.temperature},
               {"top_p", p.top_p},
               {"presence_penalty", p.presence_penalty},
               {"frequency_penalty", p.frequency_penalty}};
  if (p.max_tokens > 0) body["max_tokens"] = p.max_tokens;
  if (!p.stop.empty()) body["stop"] = p.stop;
  if (p.seed) body["seed"] = *p.seed;
  if (!r.chat) {
    body["prompt"] = r.prompt;
    if (r.echo) body["echo"] = true;
    return body;
  }
  body["messages"] = json::array();
  for (const auto& m : r.messages)
    body["messages"].push_back({{"role", m.role}, {"content", m.content}});
  if (!r.tools.tools.empty()) {
    body["tools"] = json::array();
    for (const auto& t : r.tools.tools) {
      json params = json::parse(t.parameters_schema, nullptr, false);
      body["tools"].push_back(
          {{"type", "function"},
           {"function",
            {{"name", t.name},
             {"description", t.description},
             {"parameters", params.is_discarded() ? json::object() : params}}}});
    }
    switch (r.tools.choice) {
      case ToolChoice::kAuto: body["tool_choice"] = "auto"; break;
      case ToolChoice::kNone: body["tool_choice"] = "none"; break;
      case ToolChoice::kRequired: body["tool_choice"] = "required"; break;
      case ToolChoice::kNamed:
        body["tool_choice"] = {{"type", "function"}, {"function", {{"name", r.tools.named}}}};
        break;
    }
    if (!r.tools.parallel) body["parallel_tool_calls"] = false;
  }
  if (r.json_object) body["response_format"] = {{"type", "json_object"}};
  if (!r.json_schema.empty()) {
    json schema = json::parse(r.json_schema, nullptr, false);
    body["response_format"] = {
        {"type", "json_schema"},
        {"json_schema",
         {{"name", "response"}, {"schema", schema.is_discarded() ? json::object() : schema}}}};
  }
  return body;
}

// The answer's first choice: text, tool calls, finish reason and usage.
// UNAVAILABLE when the engine did not answer like an OpenAI server.
Status ReadAnswer(const std::string& backend, const RemoteReply& reply, bool chat,
                  std::string* text, std::vector<ToolCall>* calls, engine::FinishReason* finish,
                  engine::GenerationStats* stats) {
  const json answer = json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || answer.is_discarded() || !answer.is_object()) {
    std::string why = "HTTP " + std::to_string(reply.status);
    if (!answer.is_discarded() && answer.is_object() && answer.contains("error") &&
        answer["error"].is_object())
      why += ": " + answer["error"].value("message", "");
    return Unavailable("backend '" + backend + "' answered " + why);
  }
  if (answer.contains("usage") && answer["usage"].is_object()) {
    const auto& u = answer["usage"];
    if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_unsigned())
      stats->prompt_tokens = u["prompt_tokens"].get<size_t>();
    if (u.contains("completion_tokens") && u["completion_tokens"].is_number_unsigned())
      stats->completion_tokens = u["completion_tokens"].get<size_t>();
  }
  if (!answer.contains("choices") || !answer["choices"].is_array() || answer["choices"].empty() ||
      !answer["choices"][0].is_object())
    return Unavailable("backend '" + backend + "' answered without choices");
  const json& choice = answer["choices"][0];
  const json* content = nullptr;
  if (chat && choice.contains("message") && choice["message"].is_object()) {
    const json& message = choice["message"];
    if (message.contains("content")) content = &message["content"];
    if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
      for (const auto& tc : message["tool_calls"]) {
        if (!tc.is_object() || !tc.contains("function") || !tc["function"].is_object()) continue;
        const json& f = tc["function"];
        ToolCall call;
        call.id = tc.value("id", "");
        call.name = f.contains("name") && f["name"].is_string() ? f["name"].get<std::string>() : "";
        call.arguments = f.contains("arguments") && f["arguments"].is_string()
                             ? f["arguments"].get<std::string>()
                             : "{}";
        calls->push_back(std::move(call));
      }
    }
  } else if (!chat && choice.contains("text")) {
    content = &choice["text"];
  }
  if (content != nullptr && content->is_string()) *text = content->get<std::string>();
  const std::string reason = choice.contains("finish_reason") && choice["finish_reason"].is_string()
                                 ? choice["finish_reason"].get<std::string>()
                                 : "stop";
  *finish = reason == "length" ? engine::FinishReason::kLength : engine::FinishReason::kStop;
  return Status::Ok();
}

}  // namespace

Generation::Started Generation::StartRemote(GenerationRequest r, GenerationCallbacks callbacks) {
  const auto* backend = remote_;
  const auto originals = rules_.pii_prompt == governance::PiiMode::kMask
                             ? masker_.originals()
                             : std::map<std::string, std::string>{};
  auto call = std::make_shared<Call>(service_.workers_);
  call->owner = this;
  call->chat = r.chat;
  call->guard = std::make_unique<governance::OutputGuard>(service_.options_.pii_scan,
                                                          rules_.pii_output, originals);
  // No tokenizer for a remote model: about four bytes a token for the reservation.
  int64_t prompt_bytes = static_cast<int64_t>(r.prompt.size());
  for (const auto& m : r.messages) prompt_bytes += static_cast<int64_t>(m.content.size());
  if (auto* quotas = service_.options_.quotas; quotas != nullptr && ctx_.caller.authenticated) {
    const auto& p = ctx_.caller.principal;
    auto granted = quotas->Reserve(p.subject, p.tenant_id, prompt_bytes / 4, r.params.max_tokens);
    if (!granted.ok()) return {granted.status(), ""};
    if (*granted >= 0) r.params.max_tokens = static_cast<int32_t>(*granted);
    call->reserved = prompt_bytes / 4 + std::max<int64_t>(*granted, 0);
  }
  call->callbacks = std::move(callbacks);
  const std::string path = r.chat ? "/chat/completions" : "/completions";
  std::string body = RemoteBody(model_, r).dump();
  const auto* remote = service_.options_.remote;
  boost::asio::post(service_.remote_calls_, [call, backend, remote, path, body = std::move(body),
                                             cancelled = cancelled_] {
    GenerationOutcome out;
    if (cancelled->load()) {
      out.finish = engine::FinishReason::kCancelled;
      return boost::asio::post(
          call->strand, [call, out = std::move(out)]() mutable { call->Deliver(std::move(out)); });
    }
    auto reply = remote->Post(*backend, path, body);
    std::string raw;
    if (!reply.ok()) {
      out.status = reply.status();
    } else {
      out.status = ReadAnswer(backend->name, *reply, call->chat, &raw, &out.tool_calls, &out.finish,
                              &out.stats);
    }
    const bool egress_refused =
        !reply.ok() && reply.status().code() == StatusCode::kPermissionDenied;
    boost::asio::post(call->strand, [call, out = std::move(out), raw = std::move(raw),
                                     egress_refused]() mutable {
      if (egress_refused) call->owner->ctx_.audit_action = "egress_refused";
      if (out.status.ok()) {
        out.text = call->Guard(raw) + call->GuardFinish();
        for (auto& tc : out.tool_calls) {
          if (!call->guard_status.ok()) break;
          tc.arguments = call->Guard(tc.arguments) + call->GuardFinish();
        }
        if (!call->guard_status.ok() && call->guard_status.code() != StatusCode::kPermissionDenied)
          out.status = call->guard_status;
        out.content_filtered = call->guard_status.code() == StatusCode::kPermissionDenied;
        if (out.content_filtered) {
          out.text.clear();
          out.tool_calls.clear();
        }
        call->Emit(out.text);
      }
      call->Deliver(std::move(out));
    });
  });
  return {Status::Ok(), ""};
}

}  // namespace daulat::gateway
