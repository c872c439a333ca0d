#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/chat_template.h"
#include "engine/embedder.h"
#include "engine/model_registry.h"
#include "engine/scheduler.h"

namespace daulat::gateway {

struct ModelServeConfig {
  std::string name;
  engine::SchedulerOptions scheduler;
  bool embeddings = true;  // also serve /v1/embeddings from this model
};

// A model loaded for serving: its scheduler loop, chat template, and an
// embedder used one request at a time.
struct HostedModel {
  engine::InstalledModel installed;
  std::shared_ptr<const engine::Model> model;
  std::unique_ptr<engine::Scheduler> scheduler;
  std::unique_ptr<engine::ChatTemplate> chat_template;
  std::vector<std::string> template_stops;
  int64_t created = 0;  // unix seconds the model was loaded

  // Lazily created; EMBED_MU guards it and every call on it.
  Result<std::vector<float>> Embed(const std::string& text,
                                   engine::EmbedPurpose purpose = engine::EmbedPurpose::kAsIs);
  bool embeddings_enabled = true;

 private:
  std::mutex embed_mu_;
  std::unique_ptr<engine::Embedder> embedder_;  // GUARDED_BY(embed_mu_)
};

// The models this server serves, each with its own scheduler loop. Loaded
// once at start-up (every model verified against its manifest first) and
// immutable afterwards: lookups are lock-free and thread-safe.
class ModelHost {
 public:
  static Result<std::unique_ptr<ModelHost>> Load(const engine::ModelRegistry& registry,
                                                 const std::vector<ModelServeConfig>& configs);
  HostedModel* Find(const std::string& name) const;
  const std::vector<std::unique_ptr<HostedModel>>& models() const { return models_; }
  // Stops every scheduler (see Scheduler::Stop).
  void Stop(bool drain);

 private:
  std::vector<std::unique_ptr<HostedModel>> models_;
};

}  // namespace daulat::gateway
