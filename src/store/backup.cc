#include "store/backup.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include "common/clock.h"
#include "store/backup_files.h"
#include "store/backup_manifest.h"

namespace daulat::store {
namespace {

namespace fs = std::filesystem;
constexpr const char* kData = "data";
constexpr const char* kSnapshotPrefix = ".backup-snapshot-";

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

Result<SqliteHandle> OpenSqliteFile(const fs::path& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) return Internal("cannot open " + path.string() + ": " + sqlite3_errstr(rc));
  sqlite3_busy_timeout(db.get(), 10000);
  return db;
}

// PRAGMA integrity_check on a database file: "ok", or the first problems.
Status CheckIntegrity(sqlite3* db, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &raw, nullptr) != SQLITE_OK)
    return DataLoss(what + " is not a readable database: " + sqlite3_errmsg(db));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  std::string problems;
  int rc = 0;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    const std::string line = text != nullptr ? text : "";
    if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
  }
  if (rc != SQLITE_DONE) return DataLoss(what + " could not be checked: " + sqlite3_errmsg(db));
  if (!problems.empty()) return DataLoss(what + " fails its integrity check: " + problems);
  return Status::Ok();
}

std::map<std::string, int64_t> SchemaVersions(sqlite3* db) {
  std::map<std::string, int64_t> out;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT component, MAX(version) FROM schema_migrations GROUP BY component",
                         -1, &raw, nullptr) != SQLITE_OK)
    return out;
  while (sqlite3_step(raw) == SQLITE_ROW) {
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    if (name != nullptr) out[name] = sqlite3_column_int64(raw, 1);
  }
  sqlite3_finalize(raw);
  return out;
}

// One consistent copy of a live database (the backup API in a single step
// holds one read transaction: writers go on, the copy sees one moment), in
// rollback-journal mode so the copy is one file, then checked.
Result<std::map<std::string, int64_t>> SnapshotDatabase(const fs::path& from, const fs::path& to) {
  if (!fs::is_regular_file(from)) return FailedPrecondition("no database at " + from.string());
  auto src = OpenSqliteFile(from, SQLITE_OPEN_READONLY);
  if (!src.ok()) return src.status();
  auto dst = OpenSqliteFile(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst.ok()) return dst.status();
  int rc = SQLITE_BUSY;
  for (int attempt = 0; attempt < 50 && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED); ++attempt) {
    sqlite3_backup* b = sqlite3_backup_init(dst->get(), "main", src->get(), "main");
    if (b == nullptr) return Internal(std::string("backup: ") + sqlite3_errmsg(dst->get()));
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(100);
  }
  if (rc != SQLITE_DONE)
    return Internal(std::string("the database snapshot failed: ") + sqlite3_errstr(rc));
  if (sqlite3_exec(dst->get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr) !=
      SQLITE_OK)
    return Internal(std::string("the database snapshot: ") + sqlite3_errmsg(dst->get()));
  DAULAT_RETURN_IF_ERROR(CheckIntegrity(dst->get(), "the database snapshot"));
  auto schema = SchemaVersions(dst->get());
  if (sqlite3_close_v2(dst->release()) != SQLITE_OK)
    return Internal("cannot close the database snapshot");
  return schema;
}

bool IsEmptyOrAbsent(const fs::path& dir) {
  std::error_code ec;
  return !fs::exists(fs::symlink_status(dir, ec)) ||
         (fs::is_directory(fs::symlink_status(dir, ec)) && fs::is_empty(dir, ec));
}

// The files to copy besides the database: regular files under the data
// folder, in a stable order, without the database's own files, the skipped
// top-level entries, a snapshot in progress, or a backup being written inside it.
Result<std::vector<std::string>> FilesToCopy(const fs::path& data_dir, const fs::path& dest,
                                             const BackupOptions& options) {
  const std::set<std::string> skip(options.skip.begin(), options.skip.end());
  const std::set<std::string> database = {options.database, options.database + "-wal",
                                          options.database + "-shm", options.database + "-journal"};
  std::vector<std::string> out;
  std::error_code ec;
  const auto dest_abs = fs::weakly_canonical(dest, ec);
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    // Lexically: fs::relative would follow a symbolic link out of the folder.
    const std::string rel = it->path().lexically_relative(data_dir).generic_string();
    const std::string top = rel.substr(0, rel.find('/'));
    std::error_code canonical_error;
    if (skip.count(top) != 0 || top.rfind(kSnapshotPrefix, 0) == 0 ||
        fs::weakly_canonical(it->path(), canonical_error) == dest_abs) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink())
      return FailedPrecondition(rel +
                                " is a symbolic link: a backup copies only what is inside the data "
                                "folder (copy its target separately)");
    if (it->is_regular_file() && database.count(rel) == 0) out.push_back(rel);
  }
  if (ec) return Internal("cannot list " + data_dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// Where a file goes in the backup: its path, or in a sealed copy a random
// name, so neither the names nor their order say what the data folder holds.
std::string StoredName(bool sealed, const std::string& path) {
  return sealed ? internal::RandomHex(12) : path;
}

// No symbolic link on the way from the backup's data/ folder to a stored
// file: a backup medium an attacker wrote to cannot send the restore to read
// /dev/zero or a root-only file.
Status NoLinkOnTheWay(const fs::path& root, const std::string& stored) {
  std::error_code ec;
  fs::path at = root;
  if (fs::is_symlink(fs::symlink_status(at, ec)))
    return DataLoss("the backup's data folder is a symbolic link");
  for (const auto& part : fs::path(stored).parent_path()) {
    at /= part;
    if (fs::is_symlink(fs::symlink_status(at, ec)))
      return DataLoss("the backup holds a symbolic link: " + stored);
  }
  return Status::Ok();
}

// Copies every file the manifest lists out of the backup into `to_dir`
// (nothing written when empty), checking each one's size and SHA-256.
Status CopyOutAll(const fs::path& src, const internal::OpenedBackup& backup, const fs::path& to_dir,
                  const BackupProgress& progress) {
  const uint64_t total = backup.manifest.bytes();
  uint64_t done = 0;
  const auto step = [&](uint64_t n) {
    done += n;
    if (progress) progress(done, std::max(done, total));
  };
  for (const auto& f : backup.manifest.files) {
    fs::path target;
    if (!to_dir.empty()) {
      target = to_dir / f.path;
      std::error_code ec;
      fs::create_directories(target.parent_path(), ec);
      if (ec) return Internal("cannot create " + target.parent_path().string());
    }
    DAULAT_RETURN_IF_ERROR(NoLinkOnTheWay(src / kData, f.stored));
    auto copied =
        internal::CopyOut(src / kData / f.stored, target, backup.key, f.path, f.size, step);
    if (!copied.ok() && copied.status().code() == StatusCode::kNotFound)
      return DataLoss("the backup is missing " + f.path);
    if (!copied.ok()) return copied.status();
    if (copied->size != f.size || copied->sha256 != f.sha256)
      return DataLoss(f.path + " in the backup does not match its checksum (altered or damaged)");
  }
  return Status::Ok();
}

Status CopyInAll(const fs::path& data_dir, const fs::path& dest, const std::string& key,
                 BackupManifest& m, const BackupProgress& progress) {
  uint64_t total = 0;
  for (size_t i = 1; i < m.files.size(); ++i) {
    std::error_code ec;
    const auto size = fs::file_size(data_dir / m.files[i].path, ec);
    total += ec ? 0 : size;
  }
  uint64_t done = 0;
  const auto step = [&](uint64_t n) {
    done += n;
    if (progress) progress(done, std::max(done, total));
  };
  std::vector<BackupFile> kept = {m.files.front()};
  for (size_t i = 1; i < m.files.size(); ++i) {
    const auto& rel = m.files[i].path;
    const std::string stored = StoredName(m.sealed, rel);
    const fs::path target = dest / kData / stored;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Internal("cannot create " + target.parent_path().string() + ": " + ec.message());
    auto copied = internal::CopyIn(data_dir / rel, target, key, rel, step);
    if (!copied.ok() && copied.status().code() == StatusCode::kNotFound) continue;  // removed since
    if (!copied.ok()) return copied.status();
    kept.push_back({rel, copied->size, copied->sha256, stored});
  }
  m.files = std::move(kept);
  return Status::Ok();
}

// The database snapshot, taken inside the data folder (0700, the server's
// own disk): a sealed backup never holds the database in the clear, even
// for the moment between the snapshot and its sealed copy.
Result<BackupFile> CopyDatabase(const fs::path& data_dir, const fs::path& dest,
                                const std::string& key, const BackupOptions& options,
                                BackupManifest& m, std::vector<std::string>& referenced) {
  const fs::path snapshot = data_dir / (kSnapshotPrefix + internal::RandomHex(8) + ".db");
  const int fd = ::open(snapshot.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot create the database snapshot in " + data_dir.string());
  ::close(fd);
  auto schema = SnapshotDatabase(data_dir / m.database, snapshot);
  std::error_code ec;
  if (!schema.ok()) {
    fs::remove(snapshot, ec);
    return schema.status();
  }
  m.schema = std::move(schema).value();
  const std::string stored = StoredName(m.sealed, m.database);
  auto copied = internal::CopyIn(snapshot, dest / kData / stored, key, m.database, nullptr);
  if (copied.ok() && options.referenced) {
    auto named = options.referenced(snapshot);
    if (named.ok())
      referenced = std::move(named).value();
    else
      copied = named.status();
  }
  for (const char* suffix : {"", "-journal", "-wal", "-shm"})
    fs::remove(fs::path(snapshot.string() + suffix), ec);
  if (!copied.ok()) return copied.status();
  return BackupFile{m.database, copied->size, copied->sha256, stored};
}

Result<BackupManifest> BackUpChecked(const fs::path& data_dir, const fs::path& dest,
                                     const BackupOptions& options, const BackupProgress& progress) {
  if (!IsEmptyOrAbsent(dest))
    return FailedPrecondition(dest.string() + " is not empty: back up into a new folder");
  std::optional<internal::SealingKey> key;
  if (options.secret.sealed()) {
    auto k = internal::NewSealingKey(options.secret);
    if (!k.ok()) return k.status();
    key = std::move(k).value();
  }
  std::error_code ec;
  const bool made = !fs::exists(dest, ec);
  fs::create_directories(dest / kData, ec);
  if (ec) return Internal("cannot create " + dest.string() + ": " + ec.message());
  BackupManifest m;
  m.id = internal::RandomHex(16);
  m.created_at = UtcTimestamp(std::time(nullptr));
  m.producer = options.producer;
  m.sealed = key.has_value();
  m.database = options.database;
  const std::string key_bytes = key ? key->bytes : std::string();
  const auto fail = [&](Status st) -> Result<BackupManifest> {
    std::error_code ignored;
    if (made) {
      fs::remove_all(dest, ignored);
    } else {
      fs::remove_all(dest / kData, ignored);
      fs::remove(dest / "manifest.json.tmp", ignored);
    }
    return st;
  };
  // The snapshot first: files are copied after it, so every blob of a
  // document in the snapshot is still there unless it was erased meanwhile.
  std::vector<std::string> referenced;
  auto db = CopyDatabase(data_dir, dest, key_bytes, options, m, referenced);
  if (!db.ok()) return fail(db.status());
  m.files.push_back(*db);
  auto files = FilesToCopy(data_dir, dest, options);
  if (!files.ok()) return fail(files.status());
  for (const auto& rel : *files) m.files.push_back({rel, 0, "", ""});
  if (Status st = CopyInAll(data_dir, dest, key_bytes, m, progress); !st.ok()) return fail(st);
  std::set<std::string> copied;
  for (const auto& f : m.files) copied.insert(f.path);
  for (const auto& rel : referenced) {
    if (copied.count(rel) == 0)
      return fail(Cancelled("documents changed while the backup ran (" + rel +
                            ", named by the snapshot, was replaced or erased)"));
  }
  if (Status st = internal::WriteManifest(dest, m, key ? &*key : nullptr); !st.ok())
    return fail(st);
  return m;
}

Result<BackupManifest> RestoreChecked(const fs::path& src, const fs::path& data_dir_given,
                                      const BackupSecret& secret, const RestoreOptions& options,
                                      const BackupProgress& progress) {
  const fs::path data_dir = fs::absolute(data_dir_given).lexically_normal();
  if (!IsEmptyOrAbsent(data_dir))
    return FailedPrecondition(data_dir.string() +
                              " is not empty: restore into a new or empty data folder");
  auto backup = internal::OpenManifest(src, secret);
  if (!backup.ok()) return backup.status();
  if (backup->manifest.database != options.database)
    return InvalidArgument("the backup's database is '" + backup->manifest.database.substr(0, 100) +
                           "', not " + options.database);
  // Staged beside the data folder and renamed into place in one step: a
  // failure or a crash before the rename leaves the data folder as it was.
  std::error_code ec;
  fs::create_directories(data_dir.parent_path(), ec);
  const fs::path staging = data_dir.parent_path() / ("." + data_dir.filename().string() +
                                                     ".restoring-" + internal::RandomHex(6));
  if (!fs::create_directory(staging, ec) || ec)
    return Internal("cannot create " + staging.string() + ": " + ec.message());
  ::chmod(staging.c_str(), 0700);
  const auto fail = [&](Status st) -> Result<BackupManifest> {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return st;
  };
  if (Status st = CopyOutAll(src, *backup, staging, progress); !st.ok()) return fail(st);
  {
    auto db = OpenSqliteFile(staging / backup->manifest.database, SQLITE_OPEN_READONLY);
    if (!db.ok()) return fail(db.status());
    if (Status st = CheckIntegrity(db->get(), "the restored database"); !st.ok()) return fail(st);
  }
  if (options.check) {
    if (Status st = options.check(staging); !st.ok()) return fail(st);
  }
  fs::remove(data_dir, ec);  // empty (checked above), or absent
  fs::rename(staging, data_dir, ec);
  if (ec) return fail(Internal("cannot move the restored folder into place: " + ec.message()));
  internal::SyncFolder(data_dir.parent_path());
  return backup->manifest;
}

template <typename F>
auto Guarded(const char* what, F&& f) -> decltype(f()) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  try {
    return f();
  } catch (const std::exception& e) {
    return Internal(std::string(what) + " failed: " + e.what());
  }
}

}  // namespace

uint64_t BackupManifest::bytes() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.size;
  return n;
}

Result<std::string> ReadBackupKeyFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the key file " + path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() == 32) return text;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::string key(32, '\0');
  size_t n = 0;
  if (text.size() == 64 &&
      sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), text.data(),
                     text.size(), nullptr, &n, nullptr) == 0 &&
      n == 32)
    return key;
  return InvalidArgument(
      "the key file must hold 32 bytes, or 64 hex digits (openssl rand -hex 32)");
}

Result<BackupManifest> BackUp(const std::filesystem::path& data_dir,
                              const std::filesystem::path& dest, const BackupOptions& options,
                              const BackupProgress& progress) {
  for (int attempt = 1;; ++attempt) {
    auto m =
        Guarded("the backup", [&] { return BackUpChecked(data_dir, dest, options, progress); });
    if (m.ok() || m.status().code() != StatusCode::kCancelled) return m;
    if (attempt == 3)
      return Unavailable(m.status().message() +
                         " three times: take the backup when fewer "
                         "documents are being replaced or erased");
  }
}

Result<BackupManifest> VerifyBackup(const std::filesystem::path& src, const BackupSecret& secret,
                                    const BackupProgress& progress) {
  return Guarded("the backup's verification", [&]() -> Result<BackupManifest> {
    auto backup = internal::OpenManifest(src, secret);
    if (!backup.ok()) return backup.status();
    DAULAT_RETURN_IF_ERROR(CopyOutAll(src, *backup, {}, progress));
    return backup->manifest;
  });
}

Result<BackupManifest> Restore(const std::filesystem::path& src,
                               const std::filesystem::path& data_dir, const BackupSecret& secret,
                               const RestoreOptions& options, const BackupProgress& progress) {
  return Guarded("the restore",
                 [&] { return RestoreChecked(src, data_dir, secret, options, progress); });
}

}  // namespace daulat::store
