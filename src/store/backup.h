#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace daulat::store {

// Online backup and restore of a data folder: the SQLite database as one
// consistent snapshot (the backup API, while the server keeps writing), and
// every other file (document blobs, vector indexes, keys) copied with its
// SHA-256 in a manifest. A copy may be sealed (XChaCha20-Poly1305, libsodium
// secretstream) under a key from a passphrase (Argon2id) or a key file.
//
// A backup folder holds manifest.json and data/<path> for each file (a
// sealed copy: data/<random name>). The manifest's file list is sealed with
// the data and bound to the header. A sealed backup still shows how many
// files it holds and each one's size (documents' sizes among them); an
// unsealed one holds the document master key and the audit signing key in
// the clear, and anyone who can write to it can alter it undetected.

// What seals or opens a backup: a passphrase, or a key file's 32 bytes (raw
// or 64 hex digits). Neither: the copy is not sealed.
struct BackupSecret {
  std::optional<std::string> passphrase;
  std::optional<std::string> key;  // 32 bytes

  bool sealed() const { return passphrase.has_value() || key.has_value(); }
};
// Reads a key file: 32 raw bytes, or 64 hex digits (a trailing newline is
// ignored). INVALID_ARGUMENT otherwise.
Result<std::string> ReadBackupKeyFile(const std::filesystem::path& path);

struct BackupOptions {
  std::string database = "daulat.db";  // the SQLite file, relative to the data folder
  // Top-level entries of the data folder left out (e.g. "models": large,
  // and installed again from their packages).
  std::vector<std::string> skip;
  BackupSecret secret;
  std::string producer;  // "daulat 0.1.0 (commit)": recorded in the manifest
  // The files (relative paths) the database snapshot names, read from the
  // snapshot: each must be in the copy. One replaced or erased while the
  // backup ran is gone from the data folder; the backup is then taken again
  // (three tries, then UNAVAILABLE) rather than written without it.
  std::function<Result<std::vector<std::string>>(const std::filesystem::path& snapshot)> referenced;
};

struct BackupFile {
  std::string path;  // relative to the data folder, '/'-separated
  uint64_t size = 0;
  std::string sha256;
  // Where it is in the backup, under data/: its path, or for a sealed copy
  // a number, so the folder does not show what the data folder holds.
  std::string stored;
};

struct BackupManifest {
  std::string id;          // random, per backup: record it to tell backups apart
  std::string created_at;  // UTC, ISO 8601 (from the sealed part when sealed)
  std::string producer;
  bool sealed = false;
  std::string database;                   // which file is the database
  std::map<std::string, int64_t> schema;  // component -> migration version
  std::vector<BackupFile> files;          // database first
  uint64_t bytes() const;
};

// Called with (bytes done, bytes in all) as files are copied.
using BackupProgress = std::function<void(uint64_t done, uint64_t total)>;

// Copies `data_dir` into `dest`, which must not exist or be empty. The
// database snapshot is taken first and checked (PRAGMA integrity_check);
// files written after it may or may not be in the copy, files removed after
// it (an erased document's blob) are not. Symbolic links are refused.
// Errors: FAILED_PRECONDITION (dest not empty, no database), DATA_LOSS (the
// snapshot fails its integrity check), INTERNAL on I/O errors; a failed
// backup removes what it wrote.
Result<BackupManifest> BackUp(const std::filesystem::path& data_dir,
                              const std::filesystem::path& dest, const BackupOptions& options,
                              const BackupProgress& progress = nullptr);

// Reads a backup's manifest and checks every file (size, SHA-256, and for a
// sealed copy its authentication) without writing anything.
// Errors: NOT_FOUND (no backup there), PERMISSION_DENIED (sealed and no
// secret, or the wrong one), DATA_LOSS (a file missing, altered or
// truncated), INVALID_ARGUMENT (not a backup this version reads).
Result<BackupManifest> VerifyBackup(const std::filesystem::path& src, const BackupSecret& secret,
                                    const BackupProgress& progress = nullptr);

struct RestoreOptions {
  std::string database = "daulat.db";  // the name the program will open
  // Runs on the staged copy before it takes its place (the caller's checks,
  // e.g. the audit log's verification); an error stops the restore.
  std::function<Status(const std::filesystem::path& staged)> check;
};

// Restores a backup into `data_dir`, which must not exist or be empty: every
// file is checked as in VerifyBackup while it is written to a staging folder
// beside `data_dir`, the database passes its integrity check and
// `options.check`, and only then does the folder take its place in one
// rename; on any failure nothing is left. The same errors as VerifyBackup,
// plus FAILED_PRECONDITION when `data_dir` holds anything.
Result<BackupManifest> Restore(const std::filesystem::path& src,
                               const std::filesystem::path& data_dir, const BackupSecret& secret,
                               const RestoreOptions& options = {},
                               const BackupProgress& progress = nullptr);

}  // namespace daulat::store
