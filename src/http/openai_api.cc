// The OpenAI-compatible API on /v1: chat and text completions (streamed or
// whole, through the scheduler), embeddings, and the request contents the
// governance pipeline reads and rewrites (PII masking) before the engine.

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random_id.h"
#include "engine/structured_output.h"
#include "gateway/tool_calls.h"
#include "http/api_server.h"
#include "http/generation_relay.h"
#include "http/openai_errors.h"
#include "http/openai_request.h"

namespace daulat::http {

using nlohmann::json;

namespace {

std::string Base64(const std::vector<float>& v) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
  const size_t n = v.size() * sizeof(float);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t b = (uint32_t{bytes[i]} << 16) | (i + 1 < n ? uint32_t{bytes[i + 1]} << 8 : 0) |
                       (i + 2 < n ? uint32_t{bytes[i + 2]} : 0);
    out.push_back(kTable[(b >> 18) & 63]);
    out.push_back(kTable[(b >> 12) & 63]);
    out.push_back(i + 1 < n ? kTable[(b >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kTable[b & 63] : '=');
  }
  return out;
}

// The strings of a request a person wrote: chat message contents (plain or
// text parts), completion prompts, embedding inputs.
std::vector<json*> ContentRefs(json& body, const std::string& route) {
  std::vector<json*> out;
  const auto add = [&out](json& v) {
    if (v.is_string()) {
      out.push_back(&v);
    } else if (v.is_array()) {
      for (auto& e : v) {
        if (e.is_string()) {
          out.push_back(&e);
        } else if (e.is_object() && e.contains("text") && e["text"].is_string()) {
          out.push_back(&e["text"]);
        }
      }
    }
  };
  if (!body.is_object()) return out;
  if (route == "/v1/chat/completions" && body.contains("messages") && body["messages"].is_array()) {
    for (auto& m : body["messages"]) {
      if (m.is_object() && m.contains("content")) add(m["content"]);
    }
  } else if (route == "/v1/completions" && body.contains("prompt")) {
    add(body["prompt"]);
  } else if (route == "/v1/embeddings" && body.contains("input")) {
    add(body["input"]);
  }
  return out;
}

}  // namespace

void ApiServer::PrepareInference(Call& call) {
  auto& ctx = call.ctx;
  if (call.body.is_object() && call.body.contains("model") && call.body["model"].is_string()) {
    ctx.model = call.body["model"].get<std::string>();
    if (const auto* m = models_.Find(ctx.model)) {
      ctx.model_known = true;
      ctx.model_max = m->installed.manifest.max_classification;
    } else if (const auto* b =
                   services_.remote != nullptr ? services_.remote->ForModel(ctx.model) : nullptr) {
      ctx.model_known = true;
      ctx.backend = b->name;
      ctx.model_max = b->max_classification;
      ctx.backend_max = b->max_classification;
    }
  }
  for (json* v : ContentRefs(call.body, ctx.route)) ctx.contents.push_back(v->get<std::string>());
}

void ApiServer::WriteBackContents(Call& call) {
  const auto refs = ContentRefs(call.body, call.ctx.route);
  for (size_t i = 0; i < refs.size() && i < call.ctx.contents.size(); ++i)
    *refs[i] = call.ctx.contents[i];
}

gateway::HostedModel* ApiServer::FindModel(Call& call, const std::string& name) {
  call.ctx.model = name;
  auto* m = models_.Find(name);
  if (m == nullptr) call.Fail(NotFound("the model '" + name + "' does not exist"), "model");
  return m;
}

engine::InferenceRequest ApiServer::NewInferenceRequest(const Call& call) const {
  engine::InferenceRequest req;
  req.partition = call.ctx.caller.partition;
  if (request_timeout_.count() > 0) req.deadline = call.started + request_timeout_;
  return req;
}

void ApiServer::Chat(const std::shared_ptr<Call>& call) {
  auto parsed = ParseChatCompletion(call->body);
  if (parsed.error) return call->Fail(parsed.error->status, parsed.error->param);
  auto& r = parsed.value;
  auto* m = FindModel(*call, r.model);
  if (m == nullptr) return;
  const bool use_tools = !r.tools.tools.empty() && r.tools.choice != gateway::ToolChoice::kNone;
  if (use_tools) {
    auto grammar = gateway::PrepareToolConversation(r.tools, r.messages);
    if (!grammar.ok()) return call->Fail(grammar.status(), "tools");
    r.params.grammar = std::move(grammar->grammar);
    r.params.grammar_triggers = std::move(grammar->triggers);
  }
  if (!r.json_schema.empty() || r.json_object) {
    auto grammar = r.json_object ? engine::GrammarForJsonObject()
                                 : engine::GrammarForJsonSchema(r.json_schema);
    if (!grammar.ok()) return call->Fail(grammar.status(), "response_format");
    r.params.grammar = std::move(grammar).value();
  }
  auto prompt = m->chat_template->Apply(r.messages);
  if (!prompt.ok()) return call->Fail(prompt.status(), "messages");
  r.params.stop.insert(r.params.stop.end(), prompt->stops.begin(), prompt->stops.end());
  r.params.stop.insert(r.params.stop.end(), m->template_stops.begin(), m->template_stops.end());
  engine::InferenceRequest req = NewInferenceRequest(*call);
  req.prompt = m->model->Tokenize(prompt->text, /*add_special=*/true, /*parse_special=*/true);
  req.params = r.params;
  Submit(call, m, std::move(req), r.stream, r.include_usage, /*chat=*/true, "", use_tools);
}

void ApiServer::Completions(const std::shared_ptr<Call>& call) {
  auto parsed = ParseCompletion(call->body);
  if (parsed.error) return call->Fail(parsed.error->status, parsed.error->param);
  auto& r = parsed.value;
  auto* m = FindModel(*call, r.model);
  if (m == nullptr) return;
  engine::InferenceRequest req = NewInferenceRequest(*call);
  req.prompt = m->model->Tokenize(r.prompt, /*add_special=*/true, /*parse_special=*/false);
  req.params = r.params;
  // An echoed prompt is the caller's own text: its masked values go back in.
  const std::string echo = !r.echo ? std::string()
                           : call->ctx.output_guard
                               ? governance::Unmask(r.prompt, call->ctx.output_guard->originals())
                               : r.prompt;
  Submit(call, m, std::move(req), r.stream, r.include_usage, /*chat=*/false, echo,
         /*tools=*/false);
}

void ApiServer::Submit(const std::shared_ptr<Call>& call, gateway::HostedModel* m,
                       engine::InferenceRequest req, bool stream, bool include_usage, bool chat,
                       const std::string& echo, bool tools) {
  const std::string id = NewId(chat ? "chatcmpl-" : "cmpl-");
  const int64_t created = UnixSeconds();
  const std::string model = m->installed.manifest.name;
  auto relay = std::make_shared<GenerationRelay>();
  relay->responder = call->responder;
  relay->stream = stream;
  relay->include_usage = include_usage;
  relay->trim = chat;
  relay->tools = tools;
  if (!echo.empty()) relay->text = echo;
  relay->chunk = [id, created, model, chat](const std::string& delta, const json& finish,
                                            bool first) {
    json choice = {{"index", 0}, {"finish_reason", finish}, {"logprobs", nullptr}};
    if (chat) {
      json d = json::object();
      if (first) d["role"] = "assistant";
      if (!delta.empty() || first) d["content"] = delta;
      choice["delta"] = d;
    } else {
      choice["text"] = delta;
    }
    return json{{"id", id},
                {"object", chat ? "chat.completion.chunk" : "text_completion"},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "daulat"},
                {"choices", json::array({choice})}};
  };
  relay->whole = [id, created, model, chat](const std::string& text, const char* reason,
                                            const engine::GenerationStats& s) {
    json choice = {{"index", 0}, {"finish_reason", reason}, {"logprobs", nullptr}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", text}};
    } else {
      choice["text"] = text;
    }
    return json{{"id", id},
                {"object", chat ? "chat.completion" : "text_completion"},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "daulat"},
                {"choices", json::array({choice})},
                {"usage", Usage(s)}};
  };
  relay->record = [call](const engine::GenerationStats& s) {
    call->ctx.prompt_tokens = s.prompt_tokens;
    call->ctx.completion_tokens = s.completion_tokens;
  };
  relay->reply = [call, stream](unsigned status, const json& body) {
    if (stream || status == 499) return call->Finish(status);
    call->ReplyJson(status, body);
  };
  relay->fail = [call](const Status& st) { call->Fail(st); };
  relay->guard = call->ctx.output_guard;
  relay->finished = [call](const std::string& text, const Status& guard) {
    call->ctx.output_text = text;
    if (!guard.ok()) call->ctx.decision_reason += "; answer stopped: " + guard.message();
  };
  auto ticket = m->scheduler->Submit(
      std::move(req), [relay](engine::InferenceUpdate&& u) { relay->OnUpdate(std::move(u)); });
  if (!ticket.ok())
    return call->Fail(ticket.status(),
                      ticket.status().code() == StatusCode::kInvalidArgument ? "messages" : "");
  if (stream) call->responder->BeginEvents({{"X-Request-Id", call->ctx.request_id}});
  call->responder->OnDisconnect([t = *ticket] { t->Cancel(); });
}

void ApiServer::Embeddings(const std::shared_ptr<Call>& call) {
  auto parsed = ParseEmbedding(call->body);
  if (parsed.error) return call->Fail(parsed.error->status, parsed.error->param);
  auto* m = FindModel(*call, parsed.value.model);
  if (m == nullptr) return;
  if (!m->embeddings_enabled)
    return call->Fail(
        InvalidArgument("the model '" + parsed.value.model + "' does not serve embeddings"),
        "model");
  boost::asio::post(blocking_, [call, m, r = std::move(parsed.value)] {
    json data = json::array();
    size_t tokens = 0;
    for (size_t i = 0; i < r.inputs.size(); ++i) {
      if (call->responder->disconnected()) return call->Finish(499);
      auto v = m->Embed(r.inputs[i]);
      if (!v.ok()) return call->Fail(v.status(), "input");
      tokens += m->model->CountTokens(r.inputs[i]);
      data.push_back({{"object", "embedding"},
                      {"index", i},
                      {"embedding", r.base64 ? json(Base64(*v)) : json(*v)}});
    }
    call->ctx.prompt_tokens = tokens;
    call->ReplyJson(200, {{"object", "list"},
                          {"data", data},
                          {"model", r.model},
                          {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
  });
}

}  // namespace daulat::http
