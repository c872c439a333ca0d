#pragma once

#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "assessment/assessments.h"
#include "assessment/readiness.h"
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
  AssessmentApi(const ApiServices& services, boost::asio::thread_pool& blocking);
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

  // What the platform holds now, as evidence for `tenant_id`.
  assessment::PlatformSources Sources(const std::string& tenant_id) const;
  // The stored assessment of the caller's tenant.
  Result<assessment::Assessment> Load(const ApiCall& call, const std::string& id);
  nlohmann::json ToJson(const assessment::Assessment& a);

  ApiServices s_;
  boost::asio::thread_pool& blocking_;
  assessment::Readiness readiness_;
  boost::asio::thread_pool narratives_{2};  // they wait for the model
};

}  // namespace daulat::http
