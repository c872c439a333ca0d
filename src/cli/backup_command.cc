// daulat backup DEST / daulat restore SRC: an online, checksummed copy of the
// data folder, optionally sealed, and its restore into an empty folder
// followed by the audit log's verification (docs/reliability.md).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/audit_store.h"
#include "cli/build_info.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/progress_bar.h"
#include "governance/audit_log.h"
#include "store/backup.h"
#include "store/blob_store.h"
#include "store/database.h"

namespace daulat::cli {
namespace {

struct BackupFlags {
  std::string path;
  std::string passphrase_file;
  std::string key_file;
  bool with_models = false;
  bool unsealed = false;
  bool verify_only = false;
  bool json = false;
};

Result<store::BackupSecret> SecretFrom(const BackupFlags& flags) {
  store::BackupSecret secret;
  if (!flags.passphrase_file.empty()) {
    std::ifstream in(flags.passphrase_file, std::ios::binary);
    if (!in) return NotFound("cannot read the passphrase file " + flags.passphrase_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.size() < 12)
      return InvalidArgument("the passphrase must be at least 12 characters long");
    secret.passphrase = std::move(text);
  }
  if (!flags.key_file.empty()) {
    auto key = store::ReadBackupKeyFile(flags.key_file);
    if (!key.ok()) return key.status();
    secret.key = std::move(key).value();
  }
  return secret;
}

nlohmann::json ManifestJson(const store::BackupManifest& m, const std::string& where) {
  return {{"path", where},
          {"id", m.id},
          {"created_at", m.created_at},
          {"sealed", m.sealed},
          {"files", m.files.size()},
          {"bytes", m.bytes()},
          {"schema", m.schema},
          {"producer", m.producer}};
}

// The originals the snapshot's documents name ("blobs/<tenant folder>/<blob>"),
// which the copy must hold.
Result<std::vector<std::string>> NamedOriginals(const std::filesystem::path& snapshot) {
  auto db = store::OpenSqlite(snapshot.string());
  if (!db.ok()) return db.status();
  auto columns = (*db)->Columns("kn_documents");
  if (!columns.ok()) return columns.status();
  if (columns->empty()) return std::vector<std::string>{};  // no library yet
  const bool versioned = std::find(columns->begin(), columns->end(), "blob_id") != columns->end();
  auto rows =
      (*db)->Query(versioned ? "SELECT tenant_id, COALESCE(blob_id, document_id) FROM kn_documents"
                             : "SELECT tenant_id, document_id FROM kn_documents");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (const auto& r : *rows)
    out.push_back("blobs/" + store::BlobStore::FolderOf(r.Text(0)) + "/" + r.Text(1));
  return out;
}

// A backup holds the embedded SQLite database; a shared one is PostgreSQL's
// to back up, with its own tools.
Status RefuseSharedDatabase(const GlobalOptions& global, const char* what) {
  if (!global.SharedDatabase()) return Status::Ok();
  return FailedPrecondition(std::string("daulat ") + what +
                            " covers the embedded SQLite database; this node keeps its records "
                            "in PostgreSQL (--database-url): back that up with pg_basebackup or "
                            "pg_dump (docs/scale.md)");
}

int BackUp(const GlobalOptions& global, const BackupFlags& flags) {
  if (Status st = RefuseSharedDatabase(global, "backup"); !st.ok()) return ReportError(st);
  auto secret = SecretFrom(flags);
  if (!secret.ok()) return ReportError(secret.status());
  if (!secret->sealed() && !flags.unsealed) {
    std::fprintf(stderr,
                 "daulat: a backup holds the documents' master key and the audit signing key: "
                 "seal it with --passphrase-file or --key-file, or pass --unsealed to write it "
                 "in the clear\n");
    return kExitUsage;
  }
  store::BackupOptions options;
  options.database = DatabasePath(global.DataDir()).filename().string();
  if (!flags.with_models) options.skip.emplace_back("models");
  options.secret = *secret;
  options.producer = std::string("daulat ") + kVersion + " (" + kGitCommit + ")";
  options.referenced = NamedOriginals;
  ProgressBar bar("backup");
  auto m = store::BackUp(global.DataDir(), flags.path, options,
                         [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); });
  bar.Finish();
  if (!m.ok()) return ReportError(m.status());
  if (flags.json) {
    std::puts(ManifestJson(*m, flags.path).dump(2).c_str());
  } else {
    std::printf("backed up %s to %s: %zu files, %llu bytes, %s; backup id %s\n",
                global.DataDir().c_str(), flags.path.c_str(), m->files.size(),
                static_cast<unsigned long long>(m->bytes()), m->sealed ? "sealed" : "NOT sealed",
                m->id.c_str());
  }
  return kExitOk;
}

// After a restore: the audit log of the restored folder verifies with its own
// verifier key, so the copy is the log the server signed, whole.
Result<governance::AuditVerification> VerifyRestoredAudit(const std::filesystem::path& data) {
  std::ifstream in(VerifierKeyPath(data));
  std::string key;
  if (!(in >> key)) return NotFound("the restored folder has no audit verifier key");
  auto db = store::OpenSqlite(DatabasePath(data).string());
  if (!db.ok()) return db.status();
  auto v = governance::AuditLog::Verify(**db, key);
  if (!v.status.ok()) return v.status;
  return v;
}

int RestoreOrVerify(const GlobalOptions& global, const BackupFlags& flags) {
  if (!flags.verify_only) {
    if (Status st = RefuseSharedDatabase(global, "restore"); !st.ok()) return ReportError(st);
  }
  auto secret = SecretFrom(flags);
  if (!secret.ok()) return ReportError(secret.status());
  ProgressBar bar(flags.verify_only ? "verify" : "restore");
  const auto step = [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); };
  // The audit log is verified on the staged copy, before it takes its place.
  uint64_t audit_records = 0;
  store::RestoreOptions options;
  options.database = DatabasePath(global.DataDir()).filename().string();
  options.check = [&audit_records](const std::filesystem::path& staged) {
    auto audit = VerifyRestoredAudit(staged);
    if (!audit.ok())
      return Status(audit.status().code(),
                    "the backup's audit log does not verify: " + audit.status().message());
    audit_records = audit->records;
    return Status::Ok();
  };
  auto m = flags.verify_only ? store::VerifyBackup(flags.path, *secret, step)
                             : store::Restore(flags.path, global.DataDir(), *secret, options, step);
  bar.Finish();
  if (!m.ok()) return ReportError(m.status());
  nlohmann::json out = ManifestJson(*m, flags.path);
  if (!flags.verify_only) {
    out["data_dir"] = global.DataDir().string();
    out["audit_records"] = audit_records;
  }
  if (flags.json) {
    std::puts(out.dump(2).c_str());
  } else if (flags.verify_only) {
    std::printf("backup %s (id %s, made %s, %s) is whole: %zu files, %llu bytes\n",
                flags.path.c_str(), m->id.c_str(), m->created_at.c_str(),
                m->sealed ? "sealed"
                          : "NOT sealed: anyone who could write to it could have "
                            "altered it",
                m->files.size(), static_cast<unsigned long long>(m->bytes()));
  } else {
    std::printf(
        "restored %s (id %s, made %s) into %s: %zu files; audit log verified (%llu "
        "records)\n",
        flags.path.c_str(), m->id.c_str(), m->created_at.c_str(), global.DataDir().c_str(),
        m->files.size(), static_cast<unsigned long long>(audit_records));
  }
  return kExitOk;
}

void AddSecretOptions(CLI::App* cmd, BackupFlags& flags) {
  auto* pass = cmd->add_option("--passphrase-file", flags.passphrase_file,
                               "Seal with a passphrase read from this file (Argon2id)");
  auto* key = cmd->add_option("--key-file", flags.key_file,
                              "Seal with a 32-byte key file (raw, or 64 hex digits)");
  pass->excludes(key);
  cmd->add_flag("--json", flags.json, "Print JSON");
}

}  // namespace

void AddBackupCommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto backup = std::make_shared<BackupFlags>();
  auto* b = app.add_subcommand(
      "backup",
      "Copy the data folder while it runs: a consistent database snapshot, blobs, vector "
      "indexes and keys, with a manifest of checksums");
  b->add_option("DEST", backup->path, "A new or empty folder for the copy")->required();
  b->add_flag("--with-models", backup->with_models, "Also copy the installed models (large)");
  b->add_flag("--unsealed", backup->unsealed,
              "Write the copy in the clear (it holds the document master key and the audit "
              "signing key)");
  AddSecretOptions(b, *backup);
  b->callback([&global, exit_code, backup] { *exit_code = BackUp(global, *backup); });

  auto restore = std::make_shared<BackupFlags>();
  auto* r = app.add_subcommand(
      "restore",
      "Restore a backup into an empty data folder (--data-dir), checking every file and the "
      "audit log");
  r->add_option("SRC", restore->path, "The backup folder")->required();
  r->add_flag("--verify-only", restore->verify_only,
              "Only check the backup's files against its manifest; write nothing");
  AddSecretOptions(r, *restore);
  r->callback([&global, exit_code, restore] { *exit_code = RestoreOrVerify(global, *restore); });
}

}  // namespace daulat::cli
