#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/classification.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/database.h"

namespace daulat::governance {

// What the PII guard does with personal data it finds.
enum class PiiMode { kAllow, kMask, kBlock };
// How much of a request's content reaches the logs: the content itself (kept
// for `retention_days`, outside the append-only audit log so it can be
// erased), its SHA-256 only, or nothing.
enum class ContentLogging { kFull, kHashes, kNone };

std::string_view PiiModeName(PiiMode m);
std::string_view ContentLoggingName(ContentLogging c);

// The rules for requests declared at one classification level.
struct LevelRules {
  std::vector<std::string> models;    // model names; "*" = any; empty = none
  std::vector<std::string> backends;  // "local" (in-process), remote backend names, or "*"
  PiiMode pii_prompt = PiiMode::kMask;
  PiiMode pii_output = PiiMode::kAllow;
  ContentLogging content_logging = ContentLogging::kHashes;
  int64_t retention_days = 365;
};

// A tenant's policy: one set of rules per classification level (index =
// the ladder position). Versions count from 1; version 0 is the built-in default.
struct Policy {
  int64_t version = 0;
  std::string updated_by;
  int64_t updated_at = 0;
  std::array<LevelRules, 5> levels;

  const LevelRules& at(Classification c) const { return levels.at(static_cast<size_t>(c)); }
};

// The policy a tenant has until an admin writes one: every local model at
// every level (each model's own highest classification still applies), remote
// backends only for TERBUKA, prompts masked, outputs masked from TERHAD up,
// content logged as hashes, kept a year.
Policy DefaultPolicy();

// Parses and validates a policy document (JSON, see docs/governance.md).
// INVALID_ARGUMENT names the offending field, e.g. "levels.SULIT.pii_prompt".
Result<Policy> ParsePolicy(const std::string& json_text);
std::string PolicyToJson(const Policy& policy);

struct PolicyDecision {
  bool allowed = true;
  std::string reason;  // human-readable, for the error and the audit record
};

// May a request at `level` use `model` (whose manifest allows up to
// `model_max`) on `backend` ("local" or a remote backend's name, whose
// highest classification is `backend_max`)?
PolicyDecision DecideModel(const Policy& policy, Classification level, const std::string& model,
                           Classification model_max, const std::string& backend,
                           Classification backend_max);

// Versioned per-tenant policies in the database. Every Put is a new version
// (history kept); the caller audits it. Reads are cached per tenant for a
// second, so policy changes made by another process apply within a second.
// Thread-safe.
class PolicyStore {
 public:
  static Result<std::unique_ptr<PolicyStore>> Open(store::Database& db,
                                                   const Clock& clock = SystemClock());

  Result<Policy> Current(const std::string& tenant_id);
  // Validates, stores as the next version and returns it.
  Result<Policy> Put(const std::string& tenant_id, const std::string& json_text,
                     const std::string& actor);
  Result<std::vector<Policy>> History(const std::string& tenant_id);

 private:
  PolicyStore(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  store::Database& db_;
  const Clock& clock_;
  std::mutex mu_;
  struct Cached {
    Policy policy;
    int64_t loaded_at = 0;
  };
  std::unordered_map<std::string, Cached> cache_;  // GUARDED_BY(mu_)
};

}  // namespace daulat::governance
