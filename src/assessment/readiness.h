#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assessment/assessments.h"
#include "assessment/framework.h"
#include "assessment/platform_evidence.h"
#include "common/status.h"

namespace daulat::assessment {

// The readiness assessment as its users work with it: stored assessments
// read against the framework, scored with what the platform shows now, and
// narrated by a model the caller brings. Tenant-scoped: another tenant's
// assessment answers NOT_FOUND. Thread-safe as the store is.
class Readiness {
 public:
  // `sources` says what the platform holds now, asked each time evidence is
  // gathered. Both references outlive this.
  Readiness(Assessments& store, const Framework& framework,
            std::function<PlatformSources(const std::string& tenant_id)> sources)
      : store_(store), framework_(framework), sources_(std::move(sources)) {}

  const Framework& framework() const { return framework_; }
  Assessments& store() { return store_; }

  // The stored assessment, its answers read against the framework.
  Result<Assessment> Load(const std::string& tenant_id, const std::string& id);
  // Its versions, oldest first; INVALID_ARGUMENT when it was never scored.
  Result<std::vector<ScoredVersion>> ScoredVersions(const Assessment& a);
  // `evidence`: answers the platform can prove are filled from it.
  Result<Assessment> Create(const std::string& tenant_id, const std::string& actor,
                            const std::string& title, const std::string& organisation,
                            int target_level, bool evidence);

  struct Scored {
    Assessment assessment;
    ScoredVersion version;  // as stored (English scorecard)
    nlohmann::json score;   // the scorecard in the language asked for
  };
  // Stores a new version. `evidence`: what the platform shows now replaces
  // the answers it proves (people's overrides keep their levels).
  Result<Scored> Score(const std::string& tenant_id, const std::string& id,
                       const std::string& actor, bool evidence, const std::string& language);

  // Asks a model (system, user) → text. Small models answer a question more
  // reliably than they follow an instruction: when the first answer is not a
  // usable narrative a second prompt asks differently before giving up
  // (UNAVAILABLE). Stores it on the latest version with `model`'s name.
  using Ask =
      std::function<Result<std::string>(const std::string& system, const std::string& user)>;
  Result<ScoredVersion> Narrate(const Assessment& a, const std::string& language, const Ask& ask,
                                const std::string& model);

 private:
  std::map<std::string, nlohmann::json> Evidence(const std::string& tenant_id) const;

  Assessments& store_;
  const Framework& framework_;
  std::function<PlatformSources(const std::string&)> sources_;
};

}  // namespace daulat::assessment
