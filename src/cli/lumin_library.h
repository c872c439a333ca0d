#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/admin_stores.h"
#include "cli/global_options.h"
#include "engine/embedder.h"
#include "engine/model_manifest.h"
#include "knowledge/conversations.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"
#include "store/blob_store.h"

namespace daulat::cli {

// Lumin's library opened on the data folder, hybrid when an embedding model
// is installed (the first embedding-only model, as the server picks it).
struct LuminLibrary {
  AdminStores admin;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<knowledge::Library> library;
  std::unique_ptr<engine::Embedder> embedder;
  std::unique_ptr<knowledge::IngestionJobs> jobs;
  std::unique_ptr<knowledge::Conversations> conversations;
};

// Erasing a document also erases the conversation turns that drew on it and
// its entries in upload jobs (server and CLI alike).
void ForgetErasedDocuments(knowledge::Library& library, knowledge::IngestionJobs& jobs,
                           knowledge::Conversations& conversations);

Result<LuminLibrary> OpenLumin(const GlobalOptions& g);

// Lumin's embedding model when more than one is installed.
inline constexpr char kDefaultEmbeddingModel[] = "multilingual-e5-small";

// Which of `manifests` Lumin embeds with: the multilingual default when it is
// there, else the first model that only embeds; nullopt when none does.
std::optional<size_t> PickEmbeddingModel(
    const std::vector<const engine::ModelManifest*>& manifests);

engine::EmbedPurpose EmbedPurposeOf(knowledge::Library::EmbedAs as);

// The reader for --tenant, --clearance and --group.
Result<knowledge::Reader> ParseReader(const std::string& tenant, const std::string& clearance,
                                      const std::vector<std::string>& groups);

}  // namespace daulat::cli
