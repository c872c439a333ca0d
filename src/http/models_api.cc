// The model list on /v1 (OpenAI's shape) and the registry on /api/v1 (the
// manifests and model cards people read before trusting a model).

#include <nlohmann/json.hpp>

#include "http/api_server.h"

namespace daulat::http {

using nlohmann::json;

void ApiServer::Models(const std::shared_ptr<Call>& call) {
  const auto card = [](const gateway::HostedModel& m) {
    return json{{"id", m.installed.manifest.name},
                {"object", "model"},
                {"created", m.created},
                {"owned_by", "daulat"},
                {"max_classification",
                 std::string(ClassificationName(m.installed.manifest.max_classification))}};
  };
  if (!call->params.empty()) {
    const std::string& id = call->params[0];
    if (const auto* m = models_.Find(id)) return call->ReplyJson(200, card(*m));
    for (const auto& remote : RemoteModelCards()) {
      if (remote["id"] == id) return call->ReplyJson(200, remote);
    }
    return call->Fail(NotFound("the model '" + id + "' does not exist"), "model");
  }
  json data = json::array();
  for (const auto& m : models_.models()) data.push_back(card(*m));
  for (const auto& card_json : RemoteModelCards()) data.push_back(card_json);
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

std::vector<json> ApiServer::RemoteModelCards() const {
  std::vector<json> out;
  if (services_.remote == nullptr) return out;
  for (const auto& b : services_.remote->backends()) {
    for (const auto& name : b.models) {
      out.push_back(
          {{"id", name},
           {"object", "model"},
           {"created", 0},
           {"owned_by", b.name},
           {"backend", b.name},
           {"jurisdiction", b.jurisdiction},
           {"max_classification", std::string(ClassificationName(b.max_classification))}});
    }
  }
  return out;
}

namespace {

// The manifest as the registry wrote it (one writer: engine::ManifestToJson),
// with where it runs.
json RegistryEntry(const gateway::HostedModel& m) {
  json j = json::parse(engine::ManifestToJson(m.installed.manifest));
  j.erase("name");
  j["id"] = m.installed.manifest.name;
  j["object"] = "model.manifest";
  j["backend"] = "local";
  j["runs_on"] = "this server";
  j["loaded_at"] = m.created;
  return j;
}

json RegistryEntry(const governance::RemoteBackendConfig& b, const std::string& name) {
  return {{"id", name},
          {"object", "model.manifest"},
          {"backend", b.name},
          {"runs_on", b.url},
          {"jurisdiction", b.jurisdiction},
          {"max_classification", std::string(ClassificationName(b.max_classification))},
          {"capabilities", json::array({"chat", "completion"})},
          {"model_card", ""}};
}

}  // namespace

void ApiServer::ModelRegistry(const std::shared_ptr<Call>& call) {
  json data = json::array();
  for (const auto& m : models_.models()) data.push_back(RegistryEntry(*m));
  if (services_.remote != nullptr) {
    for (const auto& b : services_.remote->backends()) {
      for (const auto& name : b.models) data.push_back(RegistryEntry(b, name));
    }
  }
  if (call->params.empty()) return call->ReplyJson(200, {{"object", "list"}, {"data", data}});
  for (auto& entry : data) {
    if (entry["id"] == call->params[0]) return call->ReplyJson(200, entry);
  }
  call->Fail(NotFound("the model '" + call->params[0] + "' does not exist"), "model");
}

}  // namespace daulat::http
