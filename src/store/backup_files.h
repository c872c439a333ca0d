#pragma once

// Internal to backup.cc: copying one file into or out of a backup with its
// SHA-256, sealed or not, and the keys that seal. Not a public API.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "store/backup.h"

namespace daulat::store::internal {

// The 32-byte key of a sealed backup and how it was made ("kdf" in the
// manifest: Argon2id parameters and salt, or a key file).
struct SealingKey {
  std::string bytes;
  nlohmann::json kdf;
};

// A fresh key for a new backup (a new salt for a passphrase).
Result<SealingKey> NewSealingKey(const BackupSecret& secret);
// The key a manifest's "kdf" says, from the caller's secret. INVALID_ARGUMENT
// for parameters no daulat writes (a hostile manifest asking for 100 GB).
Result<SealingKey> SealingKeyFor(const nlohmann::json& kdf, const BackupSecret& secret);
// A short keyed hash that tells a wrong secret from damaged data.
std::string KeyCheck(const std::string& key);

// Seals or opens the manifest's contents (AEAD, random nonce), as base64.
std::string SealText(const std::string& key, const std::string& text);
Result<std::string> OpenText(const std::string& key, const std::string& sealed);

// Called with the bytes just copied (for progress).
using CopyStep = std::function<void(uint64_t bytes)>;

struct CopyResult {
  uint64_t size = 0;  // plaintext bytes
  std::string sha256;
};

// Copies `from` to `to` (created 0600, fsynced), sealing it under `key` when
// `key` is not empty, with `label` (the file's path in the backup) bound to
// every chunk so files cannot be swapped. `to` empty: only reads and hashes.
Result<CopyResult> CopyIn(const std::filesystem::path& from, const std::filesystem::path& to,
                          const std::string& key, const std::string& label, const CopyStep& step);
// The reverse: opens a sealed file (DATA_LOSS when altered, truncated or
// moved) or copies a plain one.
Result<CopyResult> CopyOut(const std::filesystem::path& from, const std::filesystem::path& to,
                           const std::string& key, const std::string& label, const CopyStep& step);

// fsync of a folder, so the names written in it survive a power cut.
void SyncFolder(const std::filesystem::path& dir);

}  // namespace daulat::store::internal
