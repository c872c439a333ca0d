#include "gateway/model_host.h"

#include <chrono>

#include "common/clock.h"
#include "common/log.h"

namespace daulat::gateway {

Result<std::vector<float>> HostedModel::Embed(const std::string& text,
                                              engine::EmbedPurpose purpose) {
  std::lock_guard lock(embed_mu_);
  if (!embedder_) {
    engine::EmbedderOptions options;
    options.max_tokens = std::min<uint32_t>(2048, scheduler->options().per_sequence_limit());
    options.threads = scheduler->options().threads;
    options.query_prefix = installed.manifest.query_prefix;
    options.passage_prefix = installed.manifest.passage_prefix;
    auto e = engine::Embedder::Create(model, options);
    if (!e.ok()) return e.status();
    embedder_ = std::move(e).value();
  }
  return embedder_->Embed(text, purpose);
}

Result<std::unique_ptr<ModelHost>> ModelHost::Load(const engine::ModelRegistry& registry,
                                                   const std::vector<ModelServeConfig>& configs) {
  if (configs.empty()) return FailedPrecondition("no models to serve");
  auto host = std::make_unique<ModelHost>();
  for (const auto& config : configs) {
    if (host->Find(config.name) != nullptr)
      return InvalidArgument("model '" + config.name + "' is configured twice");
    auto installed = registry.Find(config.name);
    if (!installed.ok()) return installed.status();
    DAULAT_RETURN_IF_ERROR(registry.EnsureVerified(*installed));
    auto model = engine::Model::Load(installed->gguf_path());
    if (!model.ok()) return model.status();
    auto hosted = std::make_unique<HostedModel>();
    hosted->installed = *installed;
    hosted->model = *model;
    auto source = installed->ReadChatTemplate();
    if (!source.ok()) return source.status();
    auto tmpl = engine::ChatTemplate::ForModel(**model, *source);
    if (!tmpl.ok()) return tmpl.status();
    hosted->chat_template = std::move(tmpl).value();
    hosted->template_stops = installed->manifest.stop;
    auto scheduler = engine::Scheduler::Start(*model, config.scheduler);
    if (!scheduler.ok()) return scheduler.status();
    hosted->scheduler = std::move(scheduler).value();
    hosted->embeddings_enabled = config.embeddings;
    hosted->created = UnixSeconds();
    spdlog::info("serving model {} ({} parallel sequences, {} context tokens)", config.name,
                 config.scheduler.parallel, config.scheduler.context_length);
    host->models_.push_back(std::move(hosted));
  }
  return host;
}

HostedModel* ModelHost::Find(const std::string& name) const {
  for (const auto& m : models_) {
    if (m->installed.manifest.name == name) return m.get();
  }
  return nullptr;
}

void ModelHost::Stop(bool drain) {
  for (auto& m : models_) m->scheduler->Stop(drain);
}

}  // namespace daulat::gateway
