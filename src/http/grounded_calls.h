#pragma once

// Shared by Lumin's model-backed endpoints (ask, summarize): choosing the
// model under the tenant's policy, applying the PII rule to what the model
// reads, building greedy grounded requests, and ending event streams.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/scheduler.h"
#include "gateway/model_host.h"
#include "governance/pii_filter.h"
#include "governance/policy.h"
#include "http/api_call.h"
#include "http/api_server.h"
#include "knowledge/grounded_answer.h"

namespace daulat::http {

using CallPtr = std::shared_ptr<ApiCall>;

// A stream that was begun ends with one final JSON event (the result or an error).
void EndStream(const CallPtr& call, unsigned status, const nlohmann::json& final_json);
void FailStream(const CallPtr& call, const Status& st);

// The chat model named (or the first one served) when the tenant's policy
// for `level` allows it; records the choice and the decision on the call,
// and the level's rules in `rules`.
Result<gateway::HostedModel*> ChooseModel(const ApiServices& s, ApiCall& call,
                                          const std::string& name, Classification level,
                                          governance::LevelRules* rules);

// What reaches the model after the level's prompt rule for personal data:
// as it is (allow); masked with one numbering across the question and every
// passage, the originals kept to restore in the answer (mask); or, for block,
// passages with personal data withheld from the model and a question with it
// refused. The findings are counted on the call for the audit record.
struct GuardedInput {
  std::string question;
  std::vector<knowledge::SearchHit> sources;
  std::map<std::string, std::string> originals;
  size_t withheld = 0;
};
Result<GuardedInput> GuardInput(const governance::PiiScanFn& scan, governance::PiiMode mode,
                                const std::string& question,
                                const std::vector<knowledge::SearchHit>& hits, ApiCall& call);

// A grounded prompt as an inference request, greedy, in the tenant's and
// label's own cache partition.
Result<engine::InferenceRequest> GroundedRequest(const gateway::HostedModel& m, const ApiCall& call,
                                                 const knowledge::GroundedPrompt& prompt,
                                                 Classification level, int max_tokens);

}  // namespace daulat::http
