#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"
#include "engine/model_manifest.h"

namespace daulat::engine {

// A model folder that holds a readable manifest.
struct InstalledModel {
  ModelManifest manifest;
  std::filesystem::path dir;

  std::filesystem::path gguf_path() const { return dir / manifest.file; }
  // The manifest's chat template file, or "" when it names none.
  Result<std::string> ReadChatTemplate() const;
};

// The installed models: one sub-folder per model under `models_dir`, each with
// manifest.json and the GGUF file it names. The registry only reads the folder
// and writes verification stamps; it never modifies a model.
// Thread-compatible: concurrent const calls are safe.
class ModelRegistry {
 public:
  explicit ModelRegistry(std::filesystem::path models_dir) : dir_(std::move(models_dir)) {}

  struct Listing {
    std::vector<InstalledModel> models;                    // sorted by name
    std::vector<std::pair<std::string, Status>> problems;  // folder -> why it was skipped
  };
  // Scans the folder. A missing folder is an empty listing, not an error.
  Listing List() const;

  // NOT_FOUND (listing what is installed) when no model has that name.
  Result<InstalledModel> Find(const std::string& name) const;

  // Hashes the whole GGUF file and compares size and sha256 with the manifest.
  // DATA_LOSS on mismatch, NOT_FOUND if the file is missing. On success records
  // a stamp (file identity + hash) so EnsureVerified can skip re-hashing.
  Status Verify(const InstalledModel& model, const HashProgress& progress = nullptr) const;

  // Verify, unless a stamp shows this exact file (size, mtime, ctime, inode)
  // already hashed to the manifest's sha256. Called before every load.
  Status EnsureVerified(const InstalledModel& model, const HashProgress& progress = nullptr) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// Reads and validates dir/manifest.json.
Result<InstalledModel> ReadInstalledModel(const std::filesystem::path& dir);

}  // namespace daulat::engine
