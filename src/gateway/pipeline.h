#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "governance/audit_writer.h"
#include "governance/pii_filter.h"
#include "governance/policy.h"
#include "identity/identity_store.h"

namespace daulat::gateway {

// What a request wants to do; the authorisation stage checks it against the
// caller's role and the key's scopes (a scope has the same name).
enum class Permission {
  kPublic,             // health, sign-in: no caller needed
  kSelf,               // who am I, sign out: any caller
  kListModels,         // "models"
  kInfer,              // "inference": chat, completions, embeddings
  kReadPolicy,         // "policy.read"
  kManagePolicy,       // "policy"
  kManageIdentity,     // "identity": users and keys of the caller's tenant
  kManageTenants,      // "tenants": owners of the operator tenant only
  kReadAudit,          // "audit"
  kReadUsage,          // "usage"
  kReadDocuments,      // "documents.read": collections, documents and search (Lumin)
  kManageDocuments,    // "documents": upload and delete documents
  kManageCollections,  // "collections": create collections
};
std::string_view PermissionScope(Permission p);
bool RoleAllows(identity::Role role, Permission p);

// The tenant created on first start; its owners operate the platform.
inline constexpr const char* kOperatorTenant = "default";

// Who is calling, as established by the authentication stage.
struct Caller {
  bool authenticated = false;
  std::string key_id;  // stable, non-secret identifier of the credential ("key:..", "user:..")
  // Prompt-cache partition: requests share cached prefixes only within one
  // (tenant and classification level).
  std::string partition = "anonymous";
  identity::Principal principal;  // tenant, role, clearance (anonymous: a TERBUKA member)
};

// Everything the stages know about one request. Stages read what earlier
// stages wrote; nothing here holds secrets beyond the raw Authorization
// header, which only the authenticator reads.
struct RequestContext {
  std::string request_id;
  std::string route;          // "/v1/chat/completions"
  std::string authorization;  // raw header value
  Permission permission = Permission::kInfer;
  Caller caller;

  // Set by the handler before the pipeline runs, for inference.
  std::string model;
  bool model_known = false;
  Classification model_max = Classification::kTerbuka;
  std::string backend = "local";
  Classification backend_max = Classification::kRahsiaBesar;
  std::string declared_classification;  // X-Daulat-Classification, raw
  // The request's texts (messages, prompt, inputs). The PII stage may mask
  // them; the handler writes them back into the request before the engine.
  std::vector<std::string> contents;

  // Set by the policy and PII stages.
  bool classified = false;  // the classification below is known
  Classification classification = Classification::kTerbuka;
  governance::LevelRules rules;
  int64_t policy_version = -1;
  std::string decision_reason;
  std::map<std::string, int64_t> pii_counts;  // prompt findings by type
  std::shared_ptr<governance::OutputGuard> output_guard;

  // Filled in as the request is served, for the completion stages.
  std::string audit_action;  // overrides the action derived from the route
  std::string resource;      // what an admin action touched ("key:key_x")
  std::string actor;         // overrides the caller, e.g. the user name of a sign-in
  std::string output_text;   // the answer as sent, for content hashes
  std::string error_message;
  unsigned http_status = 0;
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;
  double duration_ms = 0;
};

// One step of the request chain: authenticate → authorise → quotas → policy →
// PII guard → engine → output guard → audit → metering. OnRequest runs before
// the engine (in order; the first error ends the request with that error),
// OnComplete after the response (in reverse order) for audit and metering.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual Status OnRequest(RequestContext& ctx) = 0;
  virtual void OnComplete(const RequestContext& ctx) { (void)ctx; }
};

// Immutable after construction; safe to run from many threads at once.
class Pipeline {
 public:
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}
  Status Admit(RequestContext& ctx) const;
  void Complete(const RequestContext& ctx) const;
  std::vector<std::string_view> stage_names() const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

// A caller with no credentials where the server allows that (loopback, no
// key configured): a TERBUKA member of the operator tenant.
Caller AnonymousCaller();

// One static bearer token for embedding the API without an identity store
// (tests, tools): its holder is an owner of the operator tenant with TERBUKA
// clearance. With no token configured every caller is anonymous. Tokens are
// compared in constant time and never logged.
class BearerTokenAuthenticator : public Stage {
 public:
  explicit BearerTokenAuthenticator(std::string token) : token_(std::move(token)) {}
  std::string_view name() const override { return "authenticate"; }
  Status OnRequest(RequestContext& ctx) override;

 private:
  std::string token_;
};

// Metering: one structured log line per request with caller, model, tokens,
// status and duration (never content).
class UsageLogger : public Stage {
 public:
  std::string_view name() const override { return "metering"; }
  Status OnRequest(RequestContext& /*ctx*/) override { return Status::Ok(); }
  void OnComplete(const RequestContext& ctx) override;
};

}  // namespace daulat::gateway
