#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/audit_store.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

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
  if (!std::filesystem::exists(DatabasePath(data))) {
    return ReportError(NotFound("no database at " + DatabasePath(data).string()));
  }
  auto db = store::OpenSqlite(DatabasePath(data).string());
  if (!db.ok()) return ReportError(db.status());
  const auto v = governance::AuditLog::Verify(**db, key);
  if (flags.json) {
    std::puts(nlohmann::json{{"ok", v.status.ok()},
                             {"records", v.records},
                             {"checkpoints", v.checkpoints},
                             {"error", v.status.ok() ? "" : v.status.message()}}
                  .dump(2)
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

}  // namespace

void AddAuditCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* audit = app.add_subcommand("audit", "Check the tamper-evident audit log");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "Recompute every record's hash and check every signed checkpoint");
  verify->add_option("--key", flags->key, "Verifier key (default: <data-dir>/audit/verifier.key)");
  verify->add_flag("--json", flags->json, "Print JSON");
  verify->callback([&global, exit_code, flags] { *exit_code = Verify(global, *flags); });
}

}  // namespace daulat::cli
