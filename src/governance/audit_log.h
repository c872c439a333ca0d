#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "governance/checkpoint.h"
#include "governance/merkle_tree.h"
#include "store/database.h"

namespace daulat::governance {

// One audited event. Never holds secrets, keys or (unless policy says so)
// content: `content_hash` stands for the content.
struct AuditRecord {
  std::string tenant_id;
  std::string actor;   // user or key id
  std::string action;  // "inference", "login", "login_failed", "key_created", ...
  std::string resource;
  std::string model;
  std::string classification;
  std::string decision;  // "allow" / "deny"
  std::string reason;
  std::map<std::string, int64_t> pii_counts;
  std::string content_hash;
  // Set by the log on append; part of the hashed leaf.
  uint64_t seq = 0;
  std::string time;  // RFC 3339 UTC with milliseconds
};

// The leaf bytes: canonical JSON (sorted keys, no spaces) of the record,
// sequence number and timestamp included, so neither can be changed unseen.
std::string CanonicalRecord(const AuditRecord& record);

struct AuditVerification {
  uint64_t records = 0;
  uint64_t checkpoints = 0;
  Status status;  // OK, or DATA_LOSS naming the first problem found
};

// The origin line of daulat's audit checkpoints: which log a signature is for.
inline constexpr const char* kAuditOrigin = "daulat/audit";

// Append-only audit log in the database, hashed into an RFC 6962 tree, with
// signed checkpoints. Thread-safe: appends are serialised.
class AuditLog {
 public:
  // Creates the tables if needed and loads the tree from the stored leaves.
  // Records are stamped with `clock`'s time (milliseconds, UTC).
  static Result<std::unique_ptr<AuditLog>> Open(store::Database& db, CheckpointSigner signer,
                                                std::string origin = kAuditOrigin,
                                                const Clock& clock = SystemClock());

  // Durable when it returns (committed with synchronous = FULL). Returns the sequence number.
  Result<uint64_t> Append(AuditRecord record);
  // Group commit: all records in one transaction. Several processes may
  // append to one database: each batch first takes in what others wrote.
  // Returns the first record's sequence number.
  Result<uint64_t> AppendBatch(std::vector<AuditRecord> records);
  // Signs and stores a checkpoint of the current size; returns the note.
  Result<std::string> Checkpoint();
  Result<std::vector<Hash>> InclusionProof(uint64_t seq, uint64_t tree_size) const;
  uint64_t size() const;
  std::string verifier_key() const { return signer_.VerifierKey(); }

  // Re-reads every record, recomputes every leaf and the tree, and checks
  // each stored checkpoint's signature (with `verifier_key`), origin and
  // root. Finds altered records, removed or reordered ones, a truncated
  // tail, a rewritten history and checkpoints signed for another log.
  static AuditVerification Verify(store::Database& db, const std::string& verifier_key,
                                  const std::string& origin = kAuditOrigin);

 private:
  AuditLog(store::Database& db, CheckpointSigner signer, std::string origin, const Clock& clock)
      : db_(db), clock_(clock), signer_(std::move(signer)), origin_(std::move(origin)) {}
  // Appends leaves other writers stored since this tree was last in step.
  Status CatchUp(store::Transaction& tx);  // REQUIRES(mu_)

  store::Database& db_;
  const Clock& clock_;
  CheckpointSigner signer_;
  std::string origin_;
  mutable std::mutex mu_;
  MerkleTree tree_;  // GUARDED_BY(mu_)
};

}  // namespace daulat::governance
