#include "http/generation_relay.h"

#include "gateway/tool_calls.h"
#include "http/openai_errors.h"

namespace daulat::http {

using nlohmann::json;

std::string LeadingTrim::operator()(std::string text) {
  if (!at_start_) return text;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  at_start_ = false;
  return text.substr(first);
}

std::string GenerationRelay::Guard(std::string piece) {
  if (!guard || piece.empty()) return piece;
  if (!guard_status.ok()) return {};
  auto released = guard->Push(piece);
  if (!released.ok()) {
    guard_status = released.status();
    return {};
  }
  return std::move(released).value();
}

std::string GenerationRelay::GuardFinish() {
  if (!guard || !guard_status.ok()) return {};
  auto released = guard->Finish();
  if (!released.ok()) {
    guard_status = released.status();
    return {};
  }
  return std::move(released).value();
}

void GenerationRelay::OnUpdate(engine::InferenceUpdate&& u) {
  std::string piece = trim ? trimmer(std::move(u.text)) : std::move(u.text);
  if (!tools) piece = Guard(std::move(piece));
  if (stream && !piece.empty() && !tools) {
    responder->SendEvent(JsonText(chunk(piece, nullptr, first)));
    first = false;
  }
  text += piece;
  if (!u.finished) return;
  record(u.stats);
  if (tools) {
    text = Guard(std::move(text));
    text += GuardFinish();
  } else if (std::string tail = GuardFinish(); !tail.empty()) {
    if (stream) {
      responder->SendEvent(JsonText(chunk(tail, nullptr, first)));
      first = false;
    }
    text += tail;
  }
  if (!guard_status.ok() && guard_status.code() != StatusCode::kPermissionDenied && u.status.ok())
    u.status = guard_status;  // the guard failed: fail closed
  if (finished) finished(text, guard_status);
  if (u.finish_reason == engine::FinishReason::kCancelled && u.status.ok()) {
    if (responder->disconnected()) return reply(499, json());  // nobody to tell
    // Still connected: the server is stopping. Say so, and end the response cleanly.
    const Status stopping =
        Unavailable("the server is shutting down; the generation was cancelled");
    if (!stream) return fail(stopping);
    responder->SendEvent(JsonText(ErrorBody(stopping)));
    reply(503, json());
    responder->SendEvent("[DONE]");
    return responder->EndEvents();
  }
  const char* reason = u.finish_reason == engine::FinishReason::kLength ? "length" : "stop";
  if (!guard_status.ok()) reason = "content_filter";
  json tool_calls;
  if (tools && u.status.ok() && guard_status.ok()) {
    auto parsed = gateway::ParseToolReply(text);
    if (!parsed.ok()) {
      u.status = u.finish_reason == engine::FinishReason::kLength
                     ? InvalidArgument("max_tokens ended the tool call before it was complete")
                     : parsed.status();
    } else {
      text = parsed->content;
      if (!parsed->calls.empty()) {
        tool_calls = json::array();
        for (size_t i = 0; i < parsed->calls.size(); ++i) {
          const auto& c = parsed->calls[i];
          tool_calls.push_back({{"index", i},
                                {"id", c.id},
                                {"type", "function"},
                                {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
        }
        reason = "tool_calls";
      }
    }
  }
  if (!stream) {
    if (!u.status.ok()) return fail(u.status);
    json body = whole(text, reason, u.stats);
    if (!tool_calls.is_null()) {
      for (auto& tc : tool_calls) tc.erase("index");
      body["choices"][0]["message"]["tool_calls"] = tool_calls;
      if (text.empty()) body["choices"][0]["message"]["content"] = nullptr;
    }
    return reply(200, body);
  }
  if (tools && u.status.ok()) {
    json c = chunk(text, nullptr, first);
    if (!tool_calls.is_null()) c["choices"][0]["delta"]["tool_calls"] = tool_calls;
    if (!text.empty() || !tool_calls.is_null()) {
      responder->SendEvent(JsonText(c));
      first = false;
    }
  }
  if (!u.status.ok()) {
    responder->SendEvent(JsonText(ErrorBody(u.status)));
  } else {
    if (first) responder->SendEvent(JsonText(chunk("", nullptr, true)));
    responder->SendEvent(JsonText(chunk("", reason, false)));
    if (include_usage) {
      json usage_chunk = chunk("", nullptr, false);
      usage_chunk["choices"] = json::array();
      usage_chunk["usage"] = {{"prompt_tokens", u.stats.prompt_tokens},
                              {"completion_tokens", u.stats.completion_tokens},
                              {"total_tokens", u.stats.prompt_tokens + u.stats.completion_tokens}};
      responder->SendEvent(JsonText(usage_chunk));
    }
  }
  reply(u.status.ok() ? 200 : ErrorFor(u.status).status, json());  // audit before [DONE]
  responder->SendEvent("[DONE]");
  responder->EndEvents();
}

json Usage(const engine::GenerationStats& s) {
  return {{"prompt_tokens", s.prompt_tokens},
          {"completion_tokens", s.completion_tokens},
          {"total_tokens", s.prompt_tokens + s.completion_tokens}};
}

}  // namespace daulat::http
