#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/model_manifest.h"
#include "governance/policy.h"
#include "store/database.h"

namespace daulat::assessment {

// What the platform can observe about a tenant, for assessments of an
// organisation that runs on daulat. Any source may be null (that signal is
// then absent, and its question stays for a person to answer).
struct PlatformSources {
  store::Database* db = nullptr;
  governance::PolicyStore* policies = nullptr;
  std::string audit_verifier_key;  // empty: the audit chain is not checked
  std::vector<engine::ModelManifest> models;
  std::optional<int64_t> requests_30d;  // the tenant's requests in the last 30 days, if known
};

// Signals (the framework's `evidence.signal` names):
//   policy_per_level     the tenant wrote its own policy (rules for every level)
//   pii_guard_on         no level lets personal data reach a model unmasked
//   audit_chain_verified the whole audit log verifies against its signed checkpoints
//   model_cards          every installed model has a model card, licence and origin
//   requests_30d         requests the tenant made in the last 30 days
// Reads only; the audit chain check re-reads the log (about 1.4 s a million records).
std::map<std::string, nlohmann::json> CollectEvidence(const PlatformSources& sources,
                                                      const std::string& tenant_id);

}  // namespace daulat::assessment
