#include "cli/lumin_library.h"

#include <spdlog/spdlog.h>

#include "engine/model.h"

namespace daulat::cli {

Result<LuminLibrary> OpenLumin(const GlobalOptions& g) {
  auto admin = AdminStores::Open(g);
  if (!admin.ok()) return admin.status();
  LuminLibrary o{std::move(admin).value(), nullptr, nullptr, nullptr, nullptr, nullptr};
  auto blobs = store::BlobStore::Open(g.DataDir() / "blobs");
  if (!blobs.ok()) return blobs.status();
  o.blobs = std::move(blobs).value();
  auto lib = knowledge::Library::Open(*o.admin.db, *o.blobs);
  if (!lib.ok()) return lib.status();
  o.library = std::move(lib).value();
  o.library->SetIndexDir(g.DataDir() / "vectors");
  auto jobs = knowledge::IngestionJobs::Open(*o.admin.db);
  if (!jobs.ok()) return jobs.status();
  o.jobs = std::move(jobs).value();
  auto conversations = knowledge::Conversations::Open(*o.admin.db);
  if (!conversations.ok()) return conversations.status();
  o.conversations = std::move(conversations).value();
  ForgetErasedDocuments(*o.library, *o.jobs, *o.conversations);
  // Hybrid retrieval with the model the server would pick.
  const auto registry = g.Registry();
  const auto installed = registry.List().models;
  std::vector<const engine::ModelManifest*> manifests;
  for (const auto& m : installed) manifests.push_back(&m.manifest);
  if (const auto pick = PickEmbeddingModel(manifests)) {
    const auto& m = installed[*pick];
    auto model = engine::Model::Load(m.dir / m.manifest.file);
    engine::EmbedderOptions options;
    options.query_prefix = m.manifest.query_prefix;
    options.passage_prefix = m.manifest.passage_prefix;
    auto embedder = model.ok() ? engine::Embedder::Create(*model, options)
                               : Result<std::unique_ptr<engine::Embedder>>(model.status());
    if (!embedder.ok()) {
      spdlog::warn("lumin: {} cannot embed ({}); search is BM25 alone", m.manifest.name,
                   embedder.status().message());
      return o;
    }
    o.embedder = std::move(embedder).value();
    o.library->SetEmbedder(
        m.manifest.name,
        [e = o.embedder.get()](std::string_view text, knowledge::Library::EmbedAs as) {
          return e->Embed(text, EmbedPurposeOf(as));
        },
        [counter = *model](std::string_view text) { return counter->CountTokens(text); });
  }
  return o;
}

std::optional<size_t> PickEmbeddingModel(
    const std::vector<const engine::ModelManifest*>& manifests) {
  std::optional<size_t> first;
  for (size_t i = 0; i < manifests.size(); ++i) {
    if (manifests[i]->capabilities != std::vector<std::string>{"embeddings"}) continue;
    if (manifests[i]->name == kDefaultEmbeddingModel) return i;
    if (!first) first = i;
  }
  return first;
}

engine::EmbedPurpose EmbedPurposeOf(knowledge::Library::EmbedAs as) {
  return as == knowledge::Library::EmbedAs::kQuery ? engine::EmbedPurpose::kQuery
                                                   : engine::EmbedPurpose::kPassage;
}

void ForgetErasedDocuments(knowledge::Library& library, knowledge::IngestionJobs& jobs,
                           knowledge::Conversations& conversations) {
  library.AddEraseHook([&conversations](const std::string& tenant, const std::string& id) {
    return conversations.ForgetDocument(tenant, id);
  });
  library.AddEraseHook([&jobs](const std::string& tenant, const std::string& id) {
    return jobs.ForgetDocument(tenant, id);
  });
}

Result<knowledge::Reader> ParseReader(const std::string& tenant, const std::string& clearance,
                                      const std::vector<std::string>& groups) {
  const auto c = ParseClassification(clearance);
  if (!c) return InvalidArgument("--clearance must be a classification level");
  return knowledge::Reader{tenant, *c, groups};
}

}  // namespace daulat::cli
