#pragma once

#include <string>

#include "common/status.h"
#include "governance/audit_writer.h"
#include "identity/identity_store.h"

namespace daulat::cli {

// First start: creates the operator tenant ("default") and its bootstrap
// owner key, either from DAULAT_ADMIN_KEY / the file named by
// DAULAT_ADMIN_KEY_FILE (automation) or freshly generated and printed once to
// stderr. Every start: registers `static_key` (DAULAT_API_KEY or [server]
// api_key) as an owner key of the operator tenant so existing scripts keep
// working, and revokes a previous static key that was replaced. Each change is audited.
Status BootstrapIdentity(identity::IdentityStore& ids, governance::AuditWriter& audit,
                         const std::string& static_key);

}  // namespace daulat::cli
