#include "assessment/platform_evidence.h"

#include "common/clock.h"
#include "governance/audit_log.h"

namespace daulat::assessment {
std::map<std::string, nlohmann::json> CollectEvidence(const PlatformSources& s,
                                                      const std::string& tenant_id) {
  std::map<std::string, nlohmann::json> out;
  if (s.policies != nullptr) {
    if (auto p = s.policies->Current(tenant_id); p.ok()) {
      out["policy_per_level"] = p->version > 0;
      bool masked = true;
      for (const auto& level : p->levels)
        masked = masked && level.pii_prompt != governance::PiiMode::kAllow;
      out["pii_guard_on"] = masked;
    }
  }
  if (s.db != nullptr && !s.audit_verifier_key.empty())
    out["audit_chain_verified"] =
        governance::AuditLog::Verify(*s.db, s.audit_verifier_key).status.ok();
  if (!s.models.empty()) {
    bool documented = true;
    for (const auto& m : s.models)
      documented = documented && !m.model_card.empty() && !m.licence.empty() && !m.origin.empty();
    out["model_cards"] = documented;
  }
  if (s.requests_30d) out["requests_30d"] = *s.requests_30d;
  return out;
}

}  // namespace daulat::assessment
