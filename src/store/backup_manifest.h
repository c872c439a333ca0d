#pragma once

// Internal to backup.cc: a backup's manifest.json, written and read back
// without trusting it. Not a public API.
#include <filesystem>
#include <string>

#include "common/status.h"
#include "store/backup.h"
#include "store/backup_files.h"

namespace daulat::store::internal {

// A relative, '/'-separated path without ".", ".." or empty segments, not
// naming the names a backup or restore uses for itself.
bool SafeRelativePath(const std::string& path);

// Writes manifest.json (atomically, synced). With `key`, the file list,
// creation time and id are sealed, bound to the header.
Status WriteManifest(const std::filesystem::path& dest, const BackupManifest& m,
                     const SealingKey* key);

struct OpenedBackup {
  BackupManifest manifest;
  std::string key;  // empty: not sealed
};

// Reads and checks a manifest: size and nesting capped, every field's type
// checked, paths safe, a sealed one opened with `secret`. A secret given
// for a backup that is not sealed is refused: an attacker could have put a
// plain backup in place of a sealed one.
Result<OpenedBackup> OpenManifest(const std::filesystem::path& src, const BackupSecret& secret);

}  // namespace daulat::store::internal
