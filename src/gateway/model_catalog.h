#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "gateway/model_host.h"
#include "gateway/remote_backends.h"

namespace daulat::gateway {

// Every model this server answers for, local and remote, as callers see it:
// OpenAI's model objects (/v1/models) and the registry's manifests and
// model cards (/api/v1/models), local models first.
class ModelCatalog {
 public:
  // `remote` may be null (no remote backends).
  ModelCatalog(const ModelHost& local, const RemoteBackends* remote)
      : local_(local), remote_(remote) {}

  std::vector<nlohmann::json> OpenAiModels() const;
  // `show_endpoints`: a remote backend's URL is shown (to admins); for
  // everyone else its name and jurisdiction only.
  std::vector<nlohmann::json> Manifests(bool show_endpoints) const;

 private:
  const ModelHost& local_;
  const RemoteBackends* remote_;
};

}  // namespace daulat::gateway
