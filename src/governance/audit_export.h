#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "governance/audit_log.h"
#include "store/database.h"

namespace daulat::governance {

// Which of a tenant's audit records to list: after a sequence number, at
// most `limit`, optionally only one action or actor.
struct AuditQuery {
  int64_t after = -1;
  int64_t limit = 100;  // 1..1000
  std::string action, actor;
};
struct AuditPage {
  std::vector<nlohmann::json> records;  // oldest first
  int64_t next_after = -1;              // where the next page starts
};
// One page of the tenant's records (the API's /api/v1/audit and `daulat
// audit list`). Filters apply to the records' fields, so rows are read in
// batches until the page is full or the log ends.
Result<AuditPage> ListAudit(store::Database& db, const std::string& tenant_id,
                            const AuditQuery& query);

// Writes one tenant's audit records as JSON lines, each provable on its own:
// first a freshly signed checkpoint {"type":"checkpoint","note","tree_size",
// "verifier_key"}, then for each record of the tenant inside that checkpoint
// {"type":"record","seq","leaf","leaf_hash","inclusion_proof":[hex...]}. A
// verifier checks sha256(0x00 || leaf) == leaf_hash and the RFC 9162
// inclusion proof against the checkpoint's root, with nothing but the file.
// `write` receives each line with its newline, as it is read (pages of
// 1,000 records: memory stays flat however long the log), and returns false
// to stop early (CANCELLED).
Status ExportAudit(AuditLog& log, store::Database& db, const std::string& tenant_id,
                   const std::function<bool(const std::string& line)>& write);

// One record of the tenant with the proof that the log holds it: a freshly
// signed checkpoint {"note", "tree_size", "root", "verifier_key"} and the
// record {"seq", "record" (parsed), "leaf", "leaf_hash", "inclusion_proof"}
// as in the export. NOT_FOUND when the tenant has no record `seq`.
Result<nlohmann::json> ProveAuditRecord(AuditLog& log, store::Database& db,
                                        const std::string& tenant_id, uint64_t seq);

}  // namespace daulat::governance
