#pragma once

#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "assessment/assessments.h"
#include "http/api_call.h"
#include "http/api_server.h"

namespace daulat::http {

// The STAR readiness assessment over HTTP (/api/v1/assessments): create,
// answer, score (a stored version each time, with the platform's evidence
// refreshed), versions, reports (JSON, HTML, PDF) and an optional narrative
// written by a local model. Reading needs the policy.read scope (owner,
// admin, auditor); changing needs policy (owner, admin). Tenant-scoped:
// another tenant's assessment answers 404.
class AssessmentApi {
 public:
  AssessmentApi(const ApiServices& services, boost::asio::thread_pool& blocking)
      : s_(services), blocking_(blocking) {}
  void AddRoutes(std::vector<ApiRoute>& routes);
  // Waits for the narratives being written.
  void Stop() { narratives_.join(); }

 private:
  using CallPtr = std::shared_ptr<ApiCall>;
  void GetFramework(const CallPtr& call);
  void List(const CallPtr& call);
  void Create(const CallPtr& call);
  void Get(const CallPtr& call);
  void Delete(const CallPtr& call);
  void Answer(const CallPtr& call);
  void Score(const CallPtr& call);
  void Versions(const CallPtr& call);
  void Report(const CallPtr& call);
  void Narrative(const CallPtr& call);

  const assessment::Framework& framework() const;
  // The stored assessment of the caller's tenant, read against the framework.
  Result<assessment::Assessment> Load(const ApiCall& call, const std::string& id);
  // Its versions, oldest first; INVALID_ARGUMENT when it was never scored.
  Result<std::vector<assessment::ScoredVersion>> ScoredVersions(const assessment::Assessment& a);
  std::map<std::string, nlohmann::json> Evidence(const std::string& tenant_id) const;
  nlohmann::json ToJson(const assessment::Assessment& a);

  ApiServices s_;
  boost::asio::thread_pool& blocking_;
  boost::asio::thread_pool narratives_{2};  // they wait for the model
};

}  // namespace daulat::http
