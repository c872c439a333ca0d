#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <vector>

#include "http/api_call.h"
#include "http/api_server.h"

namespace daulat::http {

// The management API under /api/v1: sign-in and sessions, tenants, users,
// API keys, policy, audit and usage (described in src/http/openapi.json).
// Every handler acts on the caller's own tenant (tenant-scoped store calls),
// so a caller cannot name another tenant's users, keys or records at all:
// they answer 404 exactly as if they did not exist. Each call leaves an
// audit record through the pipeline; handlers set its action and resource.
class ManagementApi {
 public:
  ManagementApi(const ApiServices& services, boost::asio::thread_pool& blocking)
      : s_(services), blocking_(blocking) {}
  void AddRoutes(std::vector<ApiRoute>& routes);

 private:
  using CallPtr = std::shared_ptr<ApiCall>;
  void Login(CallPtr call);
  void Logout(CallPtr call);
  void Me(CallPtr call);
  void ListTenants(CallPtr call);
  void CreateTenant(CallPtr call);
  void UpdateTenant(CallPtr call);
  void ListUsers(CallPtr call);
  void CreateUser(CallPtr call);
  void UpdateUser(CallPtr call);
  void ListKeys(CallPtr call);
  void CreateKey(CallPtr call);
  void UpdateKey(CallPtr call);
  void RevokeKey(CallPtr call);
  void GetPolicy(CallPtr call);
  void PutPolicy(CallPtr call);
  void PolicyVersions(CallPtr call);
  void ListAudit(CallPtr call);
  void ListAuditNow(CallPtr call);
  void VerifyAudit(CallPtr call);
  void ExportAudit(CallPtr call);
  void Usage(CallPtr call);

  ApiServices s_;
  boost::asio::thread_pool& blocking_;
};

}  // namespace daulat::http
