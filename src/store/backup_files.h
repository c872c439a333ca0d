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
// A short keyed hash of the backup's id that tells a wrong secret from
// damaged data (per backup: two backups under one key do not match).
std::string KeyCheck(const std::string& key, const std::string& backup_id);

// Seals or opens the manifest's contents (AEAD, random nonce, bound to
// `label`), as base64.
std::string SealText(const std::string& key, const std::string& text, const std::string& label);
Result<std::string> OpenText(const std::string& key, const std::string& sealed,
                             const std::string& label);

// `bytes` random bytes as lower-case hex (ids, stored names).
std::string RandomHex(size_t bytes);
// Writes a small file (0600, synced).
Status WriteSmallFile(const std::filesystem::path& path, const std::string& text);

// Called with the bytes just copied (for progress).
using CopyStep = std::function<void(uint64_t bytes)>;

struct CopyResult {
  uint64_t size = 0;  // plaintext bytes
  std::string sha256;
};

// Copies `from` to `to` (created 0600, fsynced), sealing it under `key` when
// `key` is not empty, with `label` (the file's path in the backup) bound to
// every chunk so files cannot be swapped. `to` empty: only reads and hashes.
// Stops after `max_size` bytes (the caller reports the file as too long).
Result<CopyResult> CopyIn(const std::filesystem::path& from, const std::filesystem::path& to,
                          const std::string& key, const std::string& label, const CopyStep& step,
                          uint64_t max_size = UINT64_MAX);
// The reverse: opens a sealed file (DATA_LOSS when altered, truncated or
// moved) or copies a plain one, reading at most `max_size` plaintext bytes
// (DATA_LOSS past that: the manifest says how long the file is). Only a
// regular file is read: a FIFO or device planted in a backup is refused.
Result<CopyResult> CopyOut(const std::filesystem::path& from, const std::filesystem::path& to,
                           const std::string& key, const std::string& label, uint64_t max_size,
                           const CopyStep& step);

// fsync of a folder, so the names written in it survive a power cut.
void SyncFolder(const std::filesystem::path& dir);

}  // namespace daulat::store::internal
