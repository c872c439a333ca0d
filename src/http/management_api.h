#pragma once

#include <atomic>
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
  // Waits for the sign-in and audit work in progress.
  void Stop() {
    stopping_ = true;  // exports in progress stop at their next line
    sign_in_.join();
    audit_work_.join();
    exports_.join();
  }
  void AddRoutes(std::vector<ApiRoute>& routes);

 private:
  using CallPtr = std::shared_ptr<ApiCall>;
  void Login(const CallPtr& call);
  // Who a sign-in was for, as the audit log names it: the account, or a
  // keyed hash when no such account exists.
  std::string SignInActor(const std::string& tenant, const std::string& username);
  void Logout(const CallPtr& call);
  void Me(const CallPtr& call);
  void ListTenants(const CallPtr& call);
  void CreateTenant(const CallPtr& call);
  void UpdateTenant(const CallPtr& call);
  void ListUsers(const CallPtr& call);
  void CreateUser(const CallPtr& call);
  void UpdateUser(const CallPtr& call);
  void ListKeys(const CallPtr& call);
  void CreateKey(const CallPtr& call);
  void UpdateKey(const CallPtr& call);
  void RevokeKey(const CallPtr& call);
  void GetPolicy(const CallPtr& call);
  void PutPolicy(const CallPtr& call);
  void PolicyVersions(const CallPtr& call);
  void ListAudit(const CallPtr& call);
  void ListAuditNow(const CallPtr& call);
  void VerifyAudit(const CallPtr& call);
  void ExportAudit(const CallPtr& call);
  // One record with its inclusion proof against a freshly signed checkpoint.
  void ProveAudit(const CallPtr& call);
  void Usage(const CallPtr& call);

  ApiServices s_;
  boost::asio::thread_pool& blocking_;
  // Heavy work of its own kind, so that none stalls the others: password
  // hashing (sign-in, new passwords), the audit log's verification and
  // proofs, and exports (which go at their reader's pace) each get their
  // own threads.
  boost::asio::thread_pool sign_in_{2};
  boost::asio::thread_pool audit_work_{1};
  boost::asio::thread_pool exports_{2};
  std::atomic<bool> stopping_{false};
};

}  // namespace daulat::http
