#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/global_options.h"
#include "common/status.h"
#include "governance/audit_log.h"
#include "governance/policy.h"
#include "identity/identity_store.h"
#include "store/data_folder_lock.h"
#include "store/database.h"

namespace daulat::cli {

// The stores the administration commands (tenants, users, keys, policy,
// usage, audit list/export) work on, opened on the data folder directly: the
// operator at the machine, who also holds the audit signing key. Each change
// they make is appended to the audit log (actor "cli:<login name>") before
// the command reports success.
// "cli:<login name>" of the user running the command.
std::string CliActor();

// The lock every process that changes a shared database holds, on every
// node; a repair (`daulat doctor --repair`) holds it alone. Null on SQLite,
// where the data folder's file lock does this.
Result<std::unique_ptr<store::SessionLock>> ShareWritersLock(store::Database& db);
inline constexpr const char* kWritersLock = "writers";

struct AdminStores {
  std::optional<store::DataFolderLock> folder_lock;  // shared with other writers
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::SessionLock> writers_lock;  // the same, across nodes (PostgreSQL)
  std::unique_ptr<identity::IdentityStore> ids;
  std::unique_ptr<governance::PolicyStore> policies;
  std::unique_ptr<governance::AuditLog> audit;

  static Result<AdminStores> Open(const GlobalOptions& global);
  // Appends one record of an administrative change; its failure is the command's.
  Status Record(const std::string& tenant_id, const std::string& action,
                const std::string& resource, const std::string& reason);
};

}  // namespace daulat::cli
