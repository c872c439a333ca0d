#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/admin_stores.h"
#include "cli/audit_store.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "governance/audit_export.h"

namespace daulat::cli {
namespace {

struct VerifyFlags {
  std::string key;
  bool json = false;
};

int Verify(const GlobalOptions& global, const VerifyFlags& flags) {
  const auto data = global.DataDir();
  std::string key = flags.key;
  if (key.empty()) {
    std::ifstream in(VerifierKeyPath(data));
    if (!(in >> key)) {
      return ReportError(
          NotFound("no verifier key at " + VerifierKeyPath(data).string() + " (pass --key)"));
    }
  }
  if (!global.SharedDatabase() && !std::filesystem::exists(DatabasePath(data))) {
    return ReportError(NotFound("no database at " + DatabasePath(data).string()));
  }
  auto db = store::OpenDatabase(global.DatabaseLocation());
  if (!db.ok()) return ReportError(db.status());
  const auto v = governance::AuditLog::Verify(**db, key);
  if (flags.json) {
    std::puts(nlohmann::json{{"ok", v.status.ok()},
                             {"records", v.records},
                             {"checkpoints", v.checkpoints},
                             {"error", v.status.ok() ? "" : v.status.message()}}
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  } else if (v.status.ok()) {
    std::printf("audit log verified: %llu records, %llu signed checkpoints\n",
                static_cast<unsigned long long>(v.records),
                static_cast<unsigned long long>(v.checkpoints));
  }
  if (!v.status.ok()) {
    if (!flags.json)
      std::fprintf(stderr, "daulat: audit log verification FAILED: %s\n",
                   v.status.message().c_str());
    return ExitCodeFor(v.status);
  }
  return kExitOk;
}

struct ListFlags {
  std::string tenant = "default";
  std::string action, actor, output;
  int64_t after = -1;
  int64_t limit = 100;
  bool json = false;
};

int List(const GlobalOptions& global, const ListFlags& f) {
  auto s = AdminStores::Open(global);
  if (!s.ok()) return ReportError(s.status());
  auto page = governance::ListAudit(*s->db, f.tenant, {f.after, f.limit, f.action, f.actor});
  if (!page.ok()) return ReportError(page.status());
  for (const auto& rec : page->records) {
    if (f.json) {
      std::puts(rec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("%llu\t%s\t%s\t%s\t%s\t%s\n",
                  static_cast<unsigned long long>(rec.value("seq", uint64_t{0})),
                  rec.value("time", "").c_str(), rec.value("actor", "").c_str(),
                  rec.value("action", "").c_str(), rec.value("decision", "").c_str(),
                  rec.value("reason", "").c_str());
    }
  }
  return kExitOk;
}

int Export(const GlobalOptions& global, const ListFlags& f) {
  auto s = AdminStores::Open(global);
  if (!s.ok()) return ReportError(s.status());
  std::ofstream file;
  if (!f.output.empty() && f.output != "-") {
    file.open(f.output, std::ios::binary | std::ios::trunc);
    if (!file) return ReportError(NotFound("cannot write " + f.output));
  }
  Status st = governance::ExportAudit(*s->audit, *s->db, f.tenant, [&](const std::string& line) {
    if (file.is_open()) {
      file << line;
      return file.good();
    }
    return std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
  });
  if (!st.ok()) return ReportError(st);
  if (file.is_open() && !file.flush())
    return ReportError(Unavailable("writing " + f.output + " failed"));
  return kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* audit = app.add_subcommand("audit", "Verify, list and export the tamper-evident audit log");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "Recompute every record's hash and check every signed checkpoint");
  verify->add_option("--key", flags->key, "Verifier key (default: <data-dir>/audit/verifier.key)");
  verify->add_flag("--json", flags->json, "Print JSON");
  verify->callback([&global, exit_code, flags] { *exit_code = Verify(global, *flags); });
  auto lf = std::make_shared<ListFlags>();
  auto* list = audit->add_subcommand("list", "Print a tenant's audit records, oldest first");
  list->add_option("--tenant", lf->tenant, "Tenant (default 'default')");
  list->add_option("--action", lf->action, "Only this action (login_failed, inference, ...)");
  list->add_option("--actor", lf->actor, "Only this actor (key:..., user:...)");
  list->add_option("--after", lf->after, "Start after this sequence number");
  list->add_option("--limit", lf->limit, "At most this many (default 100)")
      ->check(CLI::Range(1, 1000000));
  list->add_flag("--json", lf->json, "One JSON record per line");
  list->callback([&global, exit_code, lf] { *exit_code = List(global, *lf); });
  auto* exp = audit->add_subcommand(
      "export",
      "JSON lines: a signed checkpoint, then each record of the tenant with its inclusion proof");
  exp->add_option("--tenant", lf->tenant, "Tenant (default 'default')");
  exp->add_option("--output,-o", lf->output, "File to write (default: stdout)");
  exp->callback([&global, exit_code, lf] { *exit_code = Export(global, *lf); });
}

}  // namespace daulat::cli
