#include "cli/admin_stores.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "cli/audit_store.h"

namespace daulat::cli {

std::string CliActor() {
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_name != nullptr)
    return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(getuid());
}

Result<std::unique_ptr<store::SessionLock>> ShareWritersLock(store::Database& db) {
  auto lock = db.TryLock(kWritersLock, store::LockMode::kShared);
  if (lock.status().code() == StatusCode::kFailedPrecondition)
    return FailedPrecondition("a repair is running on a node sharing the database (" +
                              lock.status().message() + "); try again when it is done");
  return lock;
}

Result<AdminStores> AdminStores::Open(const GlobalOptions& global) {
  const std::filesystem::path data_dir = global.DataDir();
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  AdminStores s;
  auto lock = store::DataFolderLock::Share(data_dir);
  if (!lock.ok()) return lock.status();
  s.folder_lock.emplace(std::move(lock).value());
  auto db = store::OpenDatabase(global.DatabaseLocation());
  if (!db.ok()) return db.status();
  s.db = std::move(db).value();
  auto writers = ShareWritersLock(*s.db);
  if (!writers.ok()) return writers.status();
  s.writers_lock = std::move(writers).value();
  auto signer = LoadOrCreateAuditSigner(data_dir);
  if (!signer.ok()) return signer.status();
  auto audit = governance::AuditLog::Open(*s.db, *signer);
  if (!audit.ok()) return audit.status();
  s.audit = std::move(audit).value();
  auto ids = identity::IdentityStore::Open(*s.db);
  if (!ids.ok()) return ids.status();
  s.ids = std::move(ids).value();
  auto policies = governance::PolicyStore::Open(*s.db);
  if (!policies.ok()) return policies.status();
  s.policies = std::move(policies).value();
  return s;
}

Status AdminStores::Record(const std::string& tenant_id, const std::string& action,
                           const std::string& resource, const std::string& reason) {
  governance::AuditRecord r;
  r.tenant_id = tenant_id;
  r.actor = CliActor();
  r.action = action;
  r.resource = resource;
  r.decision = "allow";
  r.reason = reason;
  return audit->Append(std::move(r)).status();
}

}  // namespace daulat::cli
