// The OpenAI-compatible API on /v1: parse, hand the request to the
// generation service (policy, PII rules, quotas, engine or remote backend,
// output rules), serialise.

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "gateway/openai_request.h"
#include "http/api_server.h"
#include "http/openai_errors.h"
#include "http/openai_response.h"

namespace daulat::http {

using nlohmann::json;

std::shared_ptr<gateway::Generation> ApiServer::BeginInference(Call& call,
                                                               const std::string& model) {
  call.ctx.model = model;
  auto level = gateway::GenerationService::DeclaredLevel(call.ctx);
  if (!level.ok()) {
    call.Fail(level.status());
    return nullptr;
  }
  auto g = generation_->Begin(call.ctx, model, *level);
  if (!g.ok()) {
    call.Fail(g.status(), g.status().code() == StatusCode::kNotFound ? "model" : "");
    return nullptr;
  }
  return std::move(g).value();
}

void ApiServer::Chat(const std::shared_ptr<Call>& call) {
  auto parsed = gateway::ParseChatCompletion(call->body);
  if (parsed.error) return call->Fail(parsed.error->status, parsed.error->param);
  auto& r = parsed.value;
  auto g = BeginInference(*call, r.model);
  if (!g) return;
  gateway::GenerationRequest req;
  req.messages = std::move(r.messages);
  req.params = std::move(r.params);
  req.tools = std::move(r.tools);
  req.json_schema = std::move(r.json_schema);
  req.json_object = r.json_object;
  RespondOpenAi(call, g, std::move(req), {true, r.stream, r.include_usage, r.n});
}

void ApiServer::Completions(const std::shared_ptr<Call>& call) {
  auto parsed = gateway::ParseCompletion(call->body);
  if (parsed.error) return call->Fail(parsed.error->status, parsed.error->param);
  auto& r = parsed.value;
  auto g = BeginInference(*call, r.model);
  if (!g) return;
  gateway::GenerationRequest req;
  req.chat = false;
  req.prompt = std::move(r.prompt);
  req.params = std::move(r.params);
  req.echo = r.echo;
  RespondOpenAi(call, g, std::move(req), {false, r.stream, r.include_usage, r.n});
}

void ApiServer::Embeddings(const std::shared_ptr<Call>& call) {
  auto parsed = gateway::ParseEmbedding(call->body);
  if (parsed.error) return call->Fail(parsed.error->status, parsed.error->param);
  call->ctx.model = parsed.value.model;
  auto level = gateway::GenerationService::DeclaredLevel(call->ctx);
  if (!level.ok()) return call->Fail(level.status());
  PostFor(blocking_, call, [this, call, level = *level, r = std::move(parsed.value)] {
    auto embedded = generation_->Embed(call->ctx, r.model, level, r.inputs,
                                       [call] { return call->responder->disconnected(); });
    if (!embedded.ok()) {
      if (embedded.status().code() == StatusCode::kCancelled) return call->Finish(499);
      const auto code = embedded.status().code();
      return call->Fail(
          embedded.status(),
          code == StatusCode::kNotFound || code == StatusCode::kInvalidArgument ? "model" : "");
    }
    json data = json::array();
    for (size_t i = 0; i < embedded->vectors.size(); ++i) {
      const auto& v = embedded->vectors[i];
      data.push_back(
          {{"object", "embedding"},
           {"index", i},
           {"embedding", r.base64 ? json(Base64(v.data(), v.size() * sizeof(float))) : json(v)}});
    }
    call->ReplyJson(
        200,
        {{"object", "list"},
         {"data", data},
         {"model", r.model},
         {"usage", {{"prompt_tokens", embedded->tokens}, {"total_tokens", embedded->tokens}}}});
  });
}

}  // namespace daulat::http
