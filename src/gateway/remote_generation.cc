// Generation::StartRemote: a model call to a remote OpenAI-compatible engine
// (through the egress guard), its answer guarded like a local one.

#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "engine/control_tokens.h"
#include "gateway/generation_call.h"
#include "gateway/tool_calls.h"

namespace daulat::gateway {
namespace {

using nlohmann::json;

// The request as the remote engine reads it: only what the caller asked
// for, after the prompt rule (the texts are already masked). Texts are data:
// chat markup in them is neutralised, as the remote engine's vocabulary is
// not known here.
// A JSON Schema with every key and string neutralised: the remote engine's
// template renders it into the prompt as text.
json Neutralised(const json& value, const engine::ControlTokenFilter& data) {
  if (value.is_string()) return data.Neutralise(value.get_ref<const std::string&>());
  if (value.is_array()) {
    json out = json::array();
    for (const auto& v : value) out.push_back(Neutralised(v, data));
    return out;
  }
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [k, v] : value.items()) out[data.Neutralise(k)] = Neutralised(v, data);
  return out;
}

json RemoteBody(const std::string& model, const GenerationRequest& r) {
  const auto& p = r.params;
  const auto& data = engine::ControlTokenFilter::Generic();
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
    body["prompt"] = data.Neutralise(r.prompt);
    if (r.echo) body["echo"] = true;
    return body;
  }
  body["messages"] = json::array();
  for (const auto& m : r.messages)
    body["messages"].push_back({{"role", m.role}, {"content", data.Neutralise(m.content)}});
  if (!r.tools.tools.empty()) {
    body["tools"] = json::array();
    for (const auto& t : r.tools.tools) {
      json params = json::parse(t.parameters_schema, nullptr, false);
      body["tools"].push_back(
          {{"type", "function"},
           {"function",
            {{"name", t.name},
             {"description", data.Neutralise(t.description)},
             {"parameters", params.is_discarded() ? json::object() : Neutralised(params, data)}}}});
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
         {{"name", "response"},
          {"schema", schema.is_discarded() ? json::object() : Neutralised(schema, data)}}}};
  }
  return body;
}

// A string member of a JSON object, or `fallback` when it is absent or not a
// string (a remote engine's answer is untrusted input).
std::string StringAt(const json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

size_t CountAt(const json& object, const char* key) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<size_t>() : 0;
}

// The answer's first choice: text, tool calls, finish reason and usage.
// UNAVAILABLE when the engine did not answer like an OpenAI server. The
// engine's own error text is not passed on (it may echo the prompt). Only
// what is guarded afterwards comes back: the text and each call's arguments;
// a call's name must be one of the tools offered and its id is daulat's own.
Status ReadAnswer(const std::string& backend, const RemoteReply& reply, bool chat,
                  const std::vector<std::string>& offered, std::string* text,
                  std::vector<ToolCall>* calls, engine::FinishReason* finish,
                  engine::GenerationStats* stats) {
  const json answer = JsonNestedDeeperThan(reply.body) ? json(json::value_t::discarded)
                                                       : json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || answer.is_discarded() || !answer.is_object())
    return Unavailable("backend '" + backend + "' answered HTTP " + std::to_string(reply.status) +
                       (reply.status == 200 ? " without a JSON object" : ""));
  if (answer.contains("usage")) {
    stats->prompt_tokens = CountAt(answer["usage"], "prompt_tokens");
    stats->completion_tokens = CountAt(answer["usage"], "completion_tokens");
  }
  if (!answer.contains("choices") || !answer["choices"].is_array() || answer["choices"].empty() ||
      !answer["choices"][0].is_object())
    return Unavailable("backend '" + backend + "' answered without choices");
  const json& choice = answer["choices"][0];
  if (chat && choice.contains("message") && choice["message"].is_object()) {
    const json& message = choice["message"];
    *text = StringAt(message, "content");
    if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
      for (const auto& tc : message["tool_calls"]) {
        if (!tc.is_object() || !tc.contains("function") || !tc["function"].is_object()) continue;
        const std::string name = StringAt(tc["function"], "name");
        if (std::find(offered.begin(), offered.end(), name) == offered.end()) continue;
        calls->push_back({NewToolCallId(), name, StringAt(tc["function"], "arguments", "{}")});
      }
    }
  } else if (!chat) {
    *text = StringAt(choice, "text");
  }
  *finish = StringAt(choice, "finish_reason", "stop") == "length" ? engine::FinishReason::kLength
                                                                  : engine::FinishReason::kStop;
  return Status::Ok();
}

// About four bytes a token: the reservation for a model whose tokenizer is
// not here, and the charge when its engine reports no usage.
int64_t EstimatedTokens(size_t bytes) {
  return static_cast<int64_t>(bytes / 4 + 1);
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
  // Invalid UTF-8 in a text becomes U+FFFD rather than an exception.
  std::string body = RemoteBody(model_, r).dump(-1, ' ', false, json::error_handler_t::replace);
  const int64_t prompt = EstimatedTokens(body.size());
  if (auto* quotas = service_.options_.quotas; quotas != nullptr && ctx_.caller.authenticated) {
    constexpr int64_t kDefaultAnswer = 4096;  // what an answer without max_tokens may hold
    const int64_t wanted = r.params.max_tokens > 0 ? r.params.max_tokens : kDefaultAnswer;
    const auto& p = ctx_.caller.principal;
    auto granted = quotas->Reserve(p.subject, p.tenant_id, prompt, wanted);
    if (!granted.ok()) return {granted.status(), ""};
    if (*granted < wanted) {
      r.params.max_tokens = static_cast<int32_t>(std::min<int64_t>(*granted, INT32_MAX));
      body = RemoteBody(model_, r).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    call->reserved = prompt + *granted;
  }
  call->callbacks = std::move(callbacks);
  const std::string path = r.chat ? "/chat/completions" : "/completions";
  const auto* remote = service_.options_.remote;
  std::vector<std::string> offered;
  for (const auto& t : r.tools.tools) offered.push_back(t.name);
  boost::asio::post(service_.remote_calls_, [call, backend, remote, path, body = std::move(body),
                                             prompt, offered = std::move(offered),
                                             cancelled = cancelled_] {
    GenerationOutcome out;
    std::string raw;
    bool egress_refused = false;
    if (cancelled->load()) {
      out.finish = engine::FinishReason::kCancelled;
    } else {
      try {
        auto reply = remote->Post(*backend, path, body);
        if (!reply.ok()) {
          out.status = reply.status();
          egress_refused = reply.status().code() == StatusCode::kPermissionDenied;
        } else {
          out.status = ReadAnswer(backend->name, *reply, call->chat, offered, &raw, &out.tool_calls,
                                  &out.finish, &out.stats);
        }
      } catch (const std::exception& e) {
        out.status = Internal(std::string("reading the backend's answer failed: ") + e.what());
      }
      // An engine that reports no usage is charged by the size of what went and came.
      if (out.status.ok() && out.stats.prompt_tokens + out.stats.completion_tokens == 0) {
        out.stats.prompt_tokens = static_cast<size_t>(prompt);
        size_t answer_bytes = raw.size();
        for (const auto& tc : out.tool_calls) answer_bytes += tc.arguments.size();
        out.stats.completion_tokens = static_cast<size_t>(EstimatedTokens(answer_bytes));
      }
    }
    boost::asio::post(call->strand, [call, out = std::move(out), raw = std::move(raw),
                                     egress_refused]() mutable {
      if (egress_refused) call->owner->ctx_.audit_action = "egress_refused";
      if (out.status.ok() && out.finish != engine::FinishReason::kCancelled) {
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
        // Text that goes with tool calls is sent with them, not streamed.
        if (out.tool_calls.empty()) call->Emit(out.text);
      }
      call->Deliver(std::move(out));
    });
  });
  return {Status::Ok(), ""};
}

}  // namespace daulat::gateway
