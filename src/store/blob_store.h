#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace daulat::store {

// One file in a tenant's folder of the blob store, as `daulat doctor` sees it.
struct StoredBlob {
  std::string folder;  // BlobStore::FolderOf(tenant)
  std::string name;    // a blob id, or an interrupted write's "<id>.tmp"
  uintmax_t bytes = 0;
  int64_t age_seconds = 0;  // since it was last written
};

// Original document bytes, encrypted at rest: XChaCha20-Poly1305 with a key
// per tenant derived (libsodium KDF) from one master key kept at
// <dir>/master.key (0600, created on first use). The tenant and blob id are
// authenticated with each blob, so a file moved to another tenant or name
// does not decrypt. Writes are atomic (temp file, fsync, rename).
// Thread-safe.
class BlobStore {
 public:
  static Result<std::unique_ptr<BlobStore>> Open(const std::filesystem::path& dir);

  // `id` is 1-128 of [A-Za-z0-9_-].
  Status Put(const std::string& tenant_id, const std::string& id, std::string_view bytes);
  // NOT_FOUND when absent, DATA_LOSS when it does not decrypt (altered or moved).
  Result<std::string> Get(const std::string& tenant_id, const std::string& id) const;
  // OK also when it was already gone.
  Status Delete(const std::string& tenant_id, const std::string& id);

  // For consistency checks: the folder holding a tenant's blobs, every file
  // in the tenant folders (master.key is not one), and removing one of them.
  static std::string FolderOf(const std::string& tenant_id);
  Result<std::vector<StoredBlob>> List() const;
  Status Discard(const StoredBlob& blob);

 private:
  explicit BlobStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<std::filesystem::path> PathOf(const std::string& tenant_id, const std::string& id) const;
  std::string TenantKey(const std::string& tenant_id) const;

  std::filesystem::path dir_;
  std::string master_;  // 32 bytes
};

}  // namespace daulat::store
