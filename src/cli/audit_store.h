#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "governance/audit_log.h"
#include "store/database.h"

namespace daulat::cli {

// Where the data folder keeps the system database and the audit signing key:
//   <data>/daulat.db                 SQLite, WAL
//   <data>/audit/signing.seed        Ed25519 seed, 0600 (created on first start)
//   <data>/audit/verifier.key        the public verifier key, for `daulat audit verify`
std::filesystem::path DatabasePath(const std::filesystem::path& data_dir);
std::filesystem::path VerifierKeyPath(const std::filesystem::path& data_dir);

// Loads the signing key, creating it (and the verifier key file) on first use.
Result<governance::CheckpointSigner> LoadOrCreateAuditSigner(const std::filesystem::path& data_dir);

}  // namespace daulat::cli
