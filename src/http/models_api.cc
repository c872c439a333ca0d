// The model list on /v1 (OpenAI's shape) and the registry on /api/v1 (the
// manifests and model cards people read before trusting a model).

#include <nlohmann/json.hpp>

#include "gateway/model_catalog.h"
#include "http/api_server.h"

namespace daulat::http {

using nlohmann::json;

namespace {

// One entry by id, or the list.
void ReplyWithModels(ApiCall& call, std::vector<json> models) {
  if (call.params.empty()) return call.ReplyJson(200, {{"object", "list"}, {"data", models}});
  for (auto& m : models) {
    if (m["id"] == call.params[0]) return call.ReplyJson(200, m);
  }
  call.Fail(NotFound("the model '" + call.params[0] + "' does not exist"), "model");
}

}  // namespace

void ApiServer::Models(const std::shared_ptr<Call>& call) {
  ReplyWithModels(*call, gateway::ModelCatalog(models_, services_.remote).OpenAiModels());
}

void ApiServer::ModelRegistry(const std::shared_ptr<Call>& call) {
  // Where a remote backend lives is for those who administer it.
  const auto role = call->ctx.caller.principal.role;
  const bool admin = call->ctx.caller.authenticated &&
                     (role == identity::Role::kOwner || role == identity::Role::kAdmin);
  ReplyWithModels(*call, gateway::ModelCatalog(models_, services_.remote).Manifests(admin));
}

}  // namespace daulat::http
