#include "store/backup.h"

#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "store/backup_files.h"

namespace daulat::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr const char* kFormat = "daulat-backup-1";
constexpr const char* kManifest = "manifest.json";
constexpr const char* kData = "data";
constexpr const char* kStaging = ".restoring";

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
  sqlite3_exec(dst->get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
  DAULAT_RETURN_IF_ERROR(CheckIntegrity(dst->get(), "the database snapshot"));
  auto schema = SchemaVersions(dst->get());
  if (sqlite3_close_v2(dst->release()) != SQLITE_OK)
    return Internal("cannot close the database snapshot");
  ::chmod(to.c_str(), 0600);
  return schema;
}

bool IsEmptyOrAbsent(const fs::path& dir) {
  std::error_code ec;
  return !fs::exists(dir, ec) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec));
}

// A path from a manifest is relative, '/'-separated, without "." or ".."
// segments: a hostile backup cannot write outside the data folder.
bool SafeRelativePath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096) return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return path.find('\0') == std::string::npos;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The files to copy besides the database: regular files under the data
// folder, in a stable order, without the database's own files, the skipped
// top-level entries, or a backup being written inside it.
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
    if (skip.count(top) != 0 || top == kStaging ||
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

std::string StoredName(bool sealed, size_t index, const std::string& path) {
  if (!sealed) return path;
  char name[16];
  std::snprintf(name, sizeof name, "%08zu", index);
  return name;
}

json ContentsJson(const BackupManifest& m) {
  json files = json::array();
  for (const auto& f : m.files)
    files.push_back(
        {{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"stored", f.stored}});
  return {
      {"producer", m.producer}, {"database", m.database}, {"schema", m.schema}, {"files", files}};
}

Result<BackupManifest> ManifestFromContents(const json& c, BackupManifest m) {
  if (!c.is_object() || !c.contains("files") || !c["files"].is_array() ||
      !c.value("database", json()).is_string())
    return InvalidArgument("the backup's manifest is not one daulat wrote");
  m.producer = c.value("producer", "");
  m.database = c["database"].get<std::string>();
  if (c.contains("schema") && c["schema"].is_object()) {
    for (const auto& [k, v] : c["schema"].items())
      if (v.is_number_integer()) m.schema[k] = v.get<int64_t>();
  }
  std::set<std::string> seen;
  for (const auto& f : c["files"]) {
    if (!f.is_object() || !f.value("path", json()).is_string() ||
        !f.value("sha256", json()).is_string() || !f.value("size", json()).is_number_unsigned())
      return InvalidArgument("the backup's manifest lists a file without path, size or sha256");
    BackupFile file{f["path"].get<std::string>(), f["size"].get<uint64_t>(),
                    f["sha256"].get<std::string>(), f.value("stored", "")};
    if (!f.value("stored", json()).is_string()) file.stored.clear();
    if (!SafeRelativePath(file.path) || !SafeRelativePath(file.stored) ||
        !seen.insert(file.path).second)
      return InvalidArgument("the backup's manifest names an unsafe or repeated path: " +
                             file.path.substr(0, 200));
    m.files.push_back(std::move(file));
  }
  if (seen.count(m.database) == 0)
    return InvalidArgument("the backup's manifest does not list its database");
  return m;
}

Status WriteManifest(const fs::path& dest, const BackupManifest& m,
                     const internal::SealingKey* key) {
  json doc = {{"format", kFormat}, {"created_at", m.created_at}, {"sealed", m.sealed}};
  const json contents = ContentsJson(m);
  if (key != nullptr) {
    doc["kdf"] = key->kdf;
    doc["key_check"] = internal::KeyCheck(key->bytes);
    doc["contents_sealed"] = internal::SealText(key->bytes, contents.dump());
  } else {
    doc["contents"] = contents;
  }
  const fs::path tmp = dest / (std::string(kManifest) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump(2) << "\n";
    out.flush();
    if (!out) return Internal("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, dest / kManifest, ec);
  if (ec) return Internal("cannot write the manifest: " + ec.message());
  internal::SyncFolder(dest);
  return Status::Ok();
}

struct OpenedBackup {
  BackupManifest manifest;
  std::string key;  // empty: not sealed
};

Result<OpenedBackup> OpenManifest(const fs::path& src, const BackupSecret& secret) {
  std::ifstream in(src / kManifest);
  if (!in) return NotFound("no backup at " + src.string() + " (no manifest.json)");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || doc.value("format", "") != kFormat)
    return InvalidArgument(src.string() + " is not a backup this version of daulat reads");
  OpenedBackup out;
  out.manifest.created_at = doc.value("created_at", "");
  out.manifest.sealed = doc.value("sealed", false);
  if (!out.manifest.sealed) {
    auto m = ManifestFromContents(doc.value("contents", json()), out.manifest);
    if (!m.ok()) return m.status();
    out.manifest = std::move(m).value();
    return out;
  }
  if (!secret.sealed())
    return PermissionDenied("this backup is sealed: give --passphrase-file or --key-file");
  auto key = internal::SealingKeyFor(doc.value("kdf", json()), secret);
  if (!key.ok()) return key.status();
  if (doc.value("key_check", "") != internal::KeyCheck(key->bytes))
    return PermissionDenied("wrong passphrase or key file for this backup");
  auto text_contents = internal::OpenText(key->bytes, doc.value("contents_sealed", ""));
  if (!text_contents.ok()) return text_contents.status();
  auto m = ManifestFromContents(json::parse(*text_contents, nullptr, false), out.manifest);
  if (!m.ok()) return m.status();
  out.manifest = std::move(m).value();
  out.key = std::move(key->bytes);
  return out;
}

// Copies every file the manifest lists out of the backup into `to_dir`
// (nothing written when empty), checking each one's size and SHA-256.
Status CopyOutAll(const fs::path& src, const OpenedBackup& backup, const fs::path& to_dir,
                  const BackupProgress& progress) {
  const uint64_t total = backup.manifest.bytes();
  uint64_t done = 0;
  const auto step = [&](uint64_t n) {
    done += n;
    if (progress) progress(done, total);
  };
  for (const auto& f : backup.manifest.files) {
    fs::path target;
    if (!to_dir.empty()) {
      target = to_dir / f.path;
      std::error_code ec;
      fs::create_directories(target.parent_path(), ec);
      if (ec) return Internal("cannot create " + target.parent_path().string());
    }
    auto copied = internal::CopyOut(src / kData / f.stored, target, backup.key, f.path, step);
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
    if (progress) progress(done, total);
  };
  std::vector<BackupFile> kept = {m.files.front()};
  for (size_t i = 1; i < m.files.size(); ++i) {
    const auto& rel = m.files[i].path;
    const std::string stored = StoredName(m.sealed, kept.size(), rel);
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

Status MoveIntoPlace(const fs::path& staging, const fs::path& data_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(staging, ec)) {
    fs::rename(entry.path(), data_dir / entry.path().filename(), ec);
    if (ec) return Internal("cannot move restored files into place: " + ec.message());
  }
  if (ec) return Internal("cannot list " + staging.string() + ": " + ec.message());
  fs::remove(staging, ec);
  internal::SyncFolder(data_dir);
  return Status::Ok();
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
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
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
  m.created_at = UtcNow();
  m.producer = options.producer;
  m.sealed = key.has_value();
  m.database = options.database;
  const auto fail = [&](Status st) -> Result<BackupManifest> {
    std::error_code ignored;
    if (made) {
      fs::remove_all(dest, ignored);
    } else {
      fs::remove_all(dest / kData, ignored);
      fs::remove(dest / (std::string(kManifest) + ".tmp"), ignored);
      fs::remove(dest / (".snapshot-" + options.database), ignored);
    }
    return st;
  };
  // The snapshot first: files are copied after it, so every blob of a
  // document in the snapshot is still there unless it was erased meanwhile.
  const fs::path snapshot = dest / (".snapshot-" + options.database);
  auto schema = SnapshotDatabase(data_dir / options.database, snapshot);
  if (!schema.ok()) return fail(schema.status());
  m.schema = std::move(schema).value();
  const std::string stored = StoredName(m.sealed, 0, options.database);
  auto db = internal::CopyIn(snapshot, dest / kData / stored, key ? key->bytes : std::string(),
                             options.database, nullptr);
  fs::remove(snapshot, ec);
  if (!db.ok()) return fail(db.status());
  m.files.push_back({options.database, db->size, db->sha256, stored});
  auto files = FilesToCopy(data_dir, dest, options);
  if (!files.ok()) return fail(files.status());
  for (const auto& rel : *files) m.files.push_back({rel, 0, "", ""});
  if (Status st = CopyInAll(data_dir, dest, key ? key->bytes : std::string(), m, progress);
      !st.ok())
    return fail(st);
  if (Status st = WriteManifest(dest, m, key ? &*key : nullptr); !st.ok()) return fail(st);
  return m;
}

Result<BackupManifest> VerifyBackup(const std::filesystem::path& src, const BackupSecret& secret,
                                    const BackupProgress& progress) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  auto backup = OpenManifest(src, secret);
  if (!backup.ok()) return backup.status();
  DAULAT_RETURN_IF_ERROR(CopyOutAll(src, *backup, {}, progress));
  return backup->manifest;
}

Result<BackupManifest> Restore(const std::filesystem::path& src,
                               const std::filesystem::path& data_dir, const BackupSecret& secret,
                               const BackupProgress& progress) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  if (!IsEmptyOrAbsent(data_dir))
    return FailedPrecondition(data_dir.string() +
                              " is not empty: restore into a new or empty data folder");
  auto backup = OpenManifest(src, secret);
  if (!backup.ok()) return backup.status();
  std::error_code ec;
  const fs::path staging = data_dir / kStaging;
  fs::create_directories(staging, ec);
  if (ec) return Internal("cannot create " + staging.string() + ": " + ec.message());
  ::chmod(data_dir.c_str(), 0700);
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
  if (Status st = MoveIntoPlace(staging, data_dir); !st.ok()) return st;
  return backup->manifest;
}

}  // namespace daulat::store
