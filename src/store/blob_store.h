#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace daulat::store {

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

 private:
  explicit BlobStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<std::filesystem::path> PathOf(const std::string& tenant_id, const std::string& id) const;
  std::string TenantKey(const std::string& tenant_id) const;

  std::filesystem::path dir_;
  std::string master_;  // 32 bytes
};

}  // namespace daulat::store
