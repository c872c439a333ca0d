// daulat doctor [--repair]: checks that the data folder is whole after a
// crash, a full disk or a restore, and removes what an interrupted write left
// behind (docs/reliability.md).
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/admin_stores.h"
#include "cli/audit_store.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "governance/audit_log.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"
#include "knowledge/library_health.h"
#include "store/blob_store.h"
#include "store/data_folder_lock.h"
#include "store/database.h"

namespace daulat::cli {
namespace {

// Beside a running server, an upload's blob is unnamed for the moment
// between its write and its commit: younger ones are left alone.
constexpr int64_t kInFlightSeconds = 600;

struct DoctorFlags {
  bool repair = false;
  bool verify_originals = false;
  bool json = false;
};

struct Findings {
  bool alone = false;                  // no other process had the folder
  std::vector<std::string> integrity;  // "ok", or SQLite's complaints
  governance::AuditVerification audit;
  bool audit_present = false;
  knowledge::LibraryHealth library;
  int64_t stale_jobs = 0;

  bool Damaged() const {
    return integrity != std::vector<std::string>{"ok"} || (audit_present && !audit.status.ok()) ||
           library.HasDamage();
  }
  bool Debris() const { return library.HasDebris() || stale_jobs > 0; }
};

Status CheckDatabase(store::Database& db, Findings& f) {
  // PostgreSQL checks its own pages (data checksums, amcheck) on the server.
  if (db.dialect() != store::Dialect::kSqlite) {
    f.integrity = {"ok"};
    return Status::Ok();
  }
  auto rows = db.Query("PRAGMA integrity_check");
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) f.integrity.push_back(r.Text(0));
  return Status::Ok();
}

void CheckAudit(const std::filesystem::path& data, store::Database& db, Findings& f) {
  std::ifstream in(VerifierKeyPath(data));
  std::string key;
  if (!(in >> key)) return;  // nothing was ever audited here
  f.audit_present = true;
  f.audit = governance::AuditLog::Verify(db, key);
}

Status CheckJobs(store::Database& db, bool repair, Findings& f) {
  auto jobs = knowledge::IngestionJobs::Open(db);
  if (!jobs.ok()) return jobs.status();
  if (!f.alone) return Status::Ok();  // a running server's jobs are not stale
  auto rows = db.Query("SELECT COUNT(*) FROM kn_jobs WHERE status IN ('queued', 'running')");
  if (!rows.ok()) return rows.status();
  f.stale_jobs = rows->front().Int(0);
  if (repair && f.stale_jobs > 0) return (*jobs)->MarkInterrupted().status();
  return Status::Ok();
}

nlohmann::json ReportJson(const Findings& f, bool repair) {
  const bool healthy = !f.Damaged() && (!f.Debris() || repair);
  nlohmann::json audit = {{"present", f.audit_present}};
  if (f.audit_present) {
    audit["ok"] = f.audit.status.ok();
    audit["records"] = f.audit.records;
    audit["checkpoints"] = f.audit.checkpoints;
    audit["error"] = f.audit.status.ok() ? "" : f.audit.status.message();
  }
  return {{"ok", healthy},
          {"repaired", repair && f.Debris()},
          {"exclusive", f.alone},
          {"database", {{"integrity", f.integrity}}},
          {"audit", audit},
          {"library", knowledge::ToJson(f.library)},
          {"stale_jobs", f.stale_jobs}};
}

void PrintReport(const Findings& f, bool repair) {
  const auto& l = f.library;
  std::printf("database integrity: %s\n",
              f.integrity == std::vector<std::string>{"ok"} ? "ok" : "DAMAGED");
  for (const auto& line : f.integrity) {
    if (line != "ok") std::printf("  %s\n", line.c_str());
  }
  if (!f.audit_present)
    std::printf("audit log: none yet\n");
  else if (f.audit.status.ok())
    std::printf("audit log: verified (%llu records)\n",
                static_cast<unsigned long long>(f.audit.records));
  else
    std::printf("audit log: FAILED: %s\n", f.audit.status.message().c_str());
  std::printf("documents: %lld, stored originals: %lld\n", static_cast<long long>(l.documents),
              static_cast<long long>(l.stored_blobs));
  for (const auto& m : l.missing_originals)
    std::printf("  MISSING original of %s (restore it from a backup)\n", m.c_str());
  for (const auto& m : l.damaged_originals)
    std::printf("  DAMAGED original of %s: not the bytes uploaded (restore it from a backup)\n",
                m.c_str());
  const char* verb = repair ? "removed" : "found";
  std::printf(
      "debris %s: %zu unnamed blobs, %lld orphan passages, %lld orphan vectors, %lld "
      "orphan index entries, %lld unindexed passages%s, %lld stale upload jobs\n",
      verb, l.orphan_blobs.size(), static_cast<long long>(l.orphan_chunks),
      static_cast<long long>(l.orphan_vectors), static_cast<long long>(l.orphan_index_entries),
      static_cast<long long>(l.unindexed_chunks), repair ? " (indexed)" : "",
      static_cast<long long>(f.stale_jobs));
  if (!f.alone)
    std::printf(
        "note: another process has the data folder open; %lld recent unnamed blobs may "
        "be uploads in progress and upload jobs were not checked\n",
        static_cast<long long>(l.recent_unnamed_blobs));
  if (f.Debris() && !repair) std::printf("run `daulat doctor --repair` with the server stopped\n");
}

void Report(const Findings& f, bool repair, bool json) {
  if (json)
    std::puts(ReportJson(f, repair)
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  else
    PrintReport(f, repair);
}

int Doctor(const GlobalOptions& global, const DoctorFlags& flags) {
  const auto data = global.DataDir();
  if (!global.SharedDatabase() && !std::filesystem::exists(DatabasePath(data)))
    return ReportError(NotFound("no database at " + DatabasePath(data).string()));
  Findings f;
  std::optional<store::DataFolderLock> lock;
  if (auto alone = store::DataFolderLock::Exclusive(data); alone.ok()) {
    lock.emplace(std::move(alone).value());
    f.alone = true;
  } else if (flags.repair) {
    return ReportError(alone.status());
  }
  auto db = store::OpenDatabase(global.DatabaseLocation());
  if (!db.ok()) return ReportError(db.status());
  // On a shared database "alone" means no writer on any node either.
  std::unique_ptr<store::SessionLock> writers;
  if (f.alone && global.SharedDatabase()) {
    auto cluster = (*db)->TryLock(kWritersLock, store::LockMode::kAlone);
    if (cluster.ok()) {
      writers = std::move(cluster).value();
    } else if (flags.repair) {
      return ReportError(cluster.status());
    } else {
      f.alone = false;
    }
  }
  if (Status st = CheckDatabase(**db, f); !st.ok()) return ReportError(st);
  CheckAudit(data, **db, f);
  // A damaged database is left exactly as it is for a restore: nothing
  // below (migrations, repairs, job clean-up) writes to it.
  if (f.integrity != std::vector<std::string>{"ok"}) {
    Report(f, false, flags.json);
    return kExitIntegrity;
  }
  const bool repair = flags.repair;
  auto blobs = store::BlobStore::Open(data / "blobs");
  if (!blobs.ok()) return ReportError(blobs.status());
  auto library = knowledge::Library::Open(**db, **blobs);  // brings the schema up to date
  if (!library.ok()) return ReportError(library.status());
  knowledge::HealthOptions options;
  options.repair = repair;
  options.in_flight_seconds = f.alone ? 0 : kInFlightSeconds;
  options.verify_originals = flags.verify_originals;
  auto health = knowledge::CheckLibrary(**db, **blobs, options);
  if (!health.ok()) return ReportError(health.status());
  f.library = std::move(health).value();
  if (Status st = CheckJobs(**db, repair, f); !st.ok()) return ReportError(st);
  Report(f, repair, flags.json);
  if (f.Damaged()) return kExitIntegrity;
  return f.Debris() && !repair ? kExitIntegrity : kExitOk;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto flags = std::make_shared<DoctorFlags>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check the data folder after a crash, a full disk or a restore: database integrity, the "
      "audit log, and documents against their originals, passages, vectors and index. Exit 0 "
      "when healthy, 4 when something is damaged or debris is left");
  cmd->add_flag("--repair", flags->repair,
                "Remove the debris found (unnamed originals, orphan passages, vectors and index "
                "entries; stale upload jobs become interrupted). Needs the data folder alone: "
                "stop the server first");
  cmd->add_flag("--verify-originals", flags->verify_originals,
                "Also decrypt every stored original and compare it with the checksum taken at "
                "upload (reads them all)");
  cmd->add_flag("--json", flags->json, "Print JSON");
  cmd->callback([&global, exit_code, flags] { *exit_code = Doctor(global, *flags); });
}

}  // namespace daulat::cli
