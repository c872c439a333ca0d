#include "cli/lumin_library.h"

#include "engine/model.h"

namespace daulat::cli {

Result<LuminLibrary> OpenLumin(const GlobalOptions& g) {
  auto admin = AdminStores::Open(g.DataDir());
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
  // Hybrid retrieval with the first installed embedding-only model, as the server does.
  const auto registry = g.Registry();
  for (const auto& m : registry.List().models) {
    if (m.manifest.capabilities != std::vector<std::string>{"embeddings"}) continue;
    auto model = engine::Model::Load(m.dir / m.manifest.file);
    if (!model.ok()) break;
    auto embedder = engine::Embedder::Create(*model, {512, 0});
    if (!embedder.ok()) break;
    o.embedder = std::move(embedder).value();
    o.library->SetEmbedder(
        m.manifest.name, [e = o.embedder.get()](std::string_view text) { return e->Embed(text); },
        [counter = *model](std::string_view text) { return counter->CountTokens(text); });
    break;
  }
  return o;
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
