// ApiServer: requests for models served by remote backends.

#include <boost/asio/post.hpp>

#include "http/api_server.h"
#include "http/openai_errors.h"

namespace daulat::http {
namespace {

using nlohmann::json;

// Runs the answer text through the output guard (mask, block, restore).
Result<std::string> GuardText(governance::OutputGuard* guard, const std::string& text) {
  if (guard == nullptr) return text;
  auto head = guard->Push(text);
  if (!head.ok()) return head.status();
  auto tail = guard->Finish();
  if (!tail.ok()) return tail.status();
  return *head + *tail;
}

}  // namespace

void ApiServer::Remote(const std::shared_ptr<Call>& call) {
  const auto* backend = services_.remote->ForModel(call->ctx.model);
  const std::string& route = call->ctx.route;
  const bool chat = route == "/v1/chat/completions";
  const std::string path = route.substr(3);  // "/chat/completions" under the backend's base URL
  json body = call->body;
  const bool stream = body.value("stream", false);
  const bool include_usage = stream && body.contains("stream_options") &&
                             body["stream_options"].is_object() &&
                             body["stream_options"].value("include_usage", false);
  body.erase("stream_options");
  body["stream"] = false;  // one answer, guarded whole, then streamed to the caller if asked
  boost::asio::post(
      blocking_, [this, call, backend, path, chat, stream, include_usage, upstream = body.dump()] {
        auto reply = services_.remote->Post(*backend, path, upstream);
        if (!reply.ok()) {
          if (reply.status().code() == StatusCode::kPermissionDenied)
            call->ctx.audit_action = "egress_refused";
          return call->Fail(reply.status());
        }
        json answer = json::parse(reply->body, nullptr, false);
        if (reply->status != 200 || answer.is_discarded() || !answer.is_object()) {
          std::string why = "HTTP " + std::to_string(reply->status);
          if (!answer.is_discarded() && answer.contains("error") && answer["error"].is_object())
            why += ": " + answer["error"].value("message", "");
          return call->Fail(Unavailable("backend '" + backend->name + "' answered " + why));
        }
        if (answer.contains("usage") && answer["usage"].is_object()) {
          call->ctx.prompt_tokens = answer["usage"].value("prompt_tokens", size_t{0});
          call->ctx.completion_tokens = answer["usage"].value("completion_tokens", size_t{0});
        }
        std::string finish = "stop";
        if (answer.contains("choices") && answer["choices"].is_array() &&
            !answer["choices"].empty() && answer["choices"][0].is_object()) {
          json& choice = answer["choices"][0];
          json* text = chat ? (choice.contains("message") ? &choice["message"]["content"] : nullptr)
                            : &choice["text"];
          if (text != nullptr && text->is_string()) {
            auto guarded = GuardText(call->ctx.output_guard.get(), text->get<std::string>());
            if (!guarded.ok() && guarded.status().code() != StatusCode::kPermissionDenied)
              return call->Fail(guarded.status());  // the guard failed: fail closed
            if (!guarded.ok()) {
              *text = "";
              choice["finish_reason"] = "content_filter";
              call->ctx.decision_reason += "; answer stopped: " + guarded.status().message();
            } else {
              *text = *guarded;
            }
            call->ctx.output_text = text->get<std::string>();
          }
          finish = choice.value("finish_reason", "stop");
        }
        answer["model"] = call->ctx.model;
        if (!stream) return call->ReplyJson(200, answer);
        call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
        json chunk = {{"id", answer.value("id", "chatcmpl-remote")},
                      {"object", chat ? "chat.completion.chunk" : "text_completion"},
                      {"created", answer.value("created", 0)},
                      {"model", call->ctx.model}};
        json delta = chat ? json{{"role", "assistant"}, {"content", call->ctx.output_text}}
                          : json(call->ctx.output_text);
        chunk["choices"] =
            json::array({chat ? json{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}
                              : json{{"index", 0}, {"text", delta}, {"finish_reason", nullptr}}});
        call->responder->SendEvent(JsonText(chunk));
        chunk["choices"][0][chat ? "delta" : "text"] = chat ? json::object() : json("");
        chunk["choices"][0]["finish_reason"] = finish;
        call->responder->SendEvent(JsonText(chunk));
        if (include_usage && answer.contains("usage")) {
          chunk["choices"] = json::array();
          chunk["usage"] = answer["usage"];
          call->responder->SendEvent(JsonText(chunk));
        }
        call->Finish(200);  // audit before [DONE]
        call->responder->SendEvent("[DONE]");
        call->responder->EndEvents();
      });
}

}  // namespace daulat::http
