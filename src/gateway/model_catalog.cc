#include "gateway/model_catalog.h"

namespace daulat::gateway {

using nlohmann::json;

std::vector<json> ModelCatalog::OpenAiModels() const {
  std::vector<json> out;
  for (const auto& m : local_.models()) {
    out.push_back({{"id", m->installed.manifest.name},
                   {"object", "model"},
                   {"created", m->created},
                   {"owned_by", "daulat"},
                   {"max_classification",
                    std::string(ClassificationName(m->installed.manifest.max_classification))}});
  }
  if (remote_ == nullptr) return out;
  for (const auto& b : remote_->backends()) {
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

std::vector<json> ModelCatalog::Manifests(bool show_endpoints) const {
  std::vector<json> out;
  for (const auto& m : local_.models()) {
    // The manifest as the registry wrote it (one writer: engine::ManifestToJson).
    json j = json::parse(engine::ManifestToJson(m->installed.manifest));
    j.erase("name");
    j["id"] = m->installed.manifest.name;
    j["object"] = "model.manifest";
    j["backend"] = "local";
    j["runs_on"] = "this server";
    j["loaded_at"] = m->created;
    out.push_back(std::move(j));
  }
  if (remote_ == nullptr) return out;
  for (const auto& b : remote_->backends()) {
    for (const auto& name : b.models) {
      out.push_back({{"id", name},
                     {"object", "model.manifest"},
                     {"backend", b.name},
                     {"runs_on", show_endpoints ? json(b.url) : json("backend " + b.name)},
                     {"jurisdiction", b.jurisdiction},
                     {"max_classification", std::string(ClassificationName(b.max_classification))},
                     {"capabilities", json::array({"chat", "completion"})},
                     {"model_card", ""}});
    }
  }
  return out;
}

}  // namespace daulat::gateway
