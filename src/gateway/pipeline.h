#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "governance/audit_writer.h"
#include "governance/policy.h"
#include "identity/access.h"
#include "identity/identity_store.h"

namespace daulat::gateway {

using identity::Permission;  // what a request wants to do (identity/access.h)
using identity::PermissionScope;
using identity::RoleAllows;

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
  std::string route;  // "/v1/chat/completions"
  // False for health, metrics, the API description and console files: no
  // caller and nothing to account for, so no audit record.
  bool audited = true;
  std::string authorization;  // raw header value
  Permission permission = Permission::kInfer;
  // A client on this machine: loopback peer, a Host header naming loopback,
  // and no Origin but a loopback one (not a web page from elsewhere).
  bool from_local_client = false;
  Caller caller;

  // Set by the handler (the level a /v1 request declares) and by the
  // generation service for requests that reach a model.
  std::string model;
  std::string declared_classification;  // X-Daulat-Classification, raw
  bool classified = false;              // the classification below is known
  Classification classification = Classification::kTerbuka;
  governance::LevelRules rules;
  int64_t policy_version = -1;  // >= 0: the rules above are the tenant's policy
  std::string decision_reason;
  // Personal data found, by type: in what the model read, and ("output_" +
  // type) in what it wrote.
  std::map<std::string, int64_t> pii_counts;
  // The texts the model read, as it read them (after masking), for the
  // content hash and the content log.
  std::vector<std::string> contents;
  bool quota_admitted = false;  // the request counted against the caller's quotas

  // Filled in as the request is served, for the completion stages.
  std::string audit_action;  // overrides the action derived from the route
  std::string resource;      // what an admin action touched ("key:key_x")
  std::string actor;         // overrides the caller, e.g. the user name of a sign-in
  std::string audit_note;    // added to the record's reason ("account locked for 900 s")
  std::string output_text;   // the answer as sent, for content hashes
  std::string error_message;
  unsigned http_status = 0;
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;
  double duration_ms = 0;
};

// One step of the request chain around every request: authenticate →
// authorise before the handler (in order; the first error ends the request
// with that error), audit, content log and metering after the response (in
// reverse order). What lies between for a model (policy, PII guard, quotas,
// engine, output guard) is the generation service's, for every route alike.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual Status OnRequest(RequestContext& ctx) = 0;
  virtual void OnComplete(const RequestContext& ctx) { (void)ctx; }
  // The answer may leave once `recorded(true)` is called: a stage keeping a
  // record the answer must not leave without (the audit log) overrides this
  // and calls it once, possibly later and from another thread; false means
  // the record was lost and the answer must be withheld. By default the
  // stage completes and the answer may leave.
  using Recorded = std::function<void(bool recorded)>;
  virtual void OnCompleteThen(const RequestContext& ctx, const Recorded& recorded) {
    OnComplete(ctx);
    recorded(true);
  }
  // An answer is about to leave in pieces, before its outcome is known, so
  // it cannot wait for its final record: a stage that must record the
  // request before any of it leaves does so here and calls `recorded` once,
  // as above. The final record still follows from OnCompleteThen.
  virtual void OnStreamThen(const RequestContext& ctx, const Recorded& recorded) {
    (void)ctx;
    recorded(true);
  }
};

// Immutable after construction; safe to run from many threads at once.
class Pipeline {
 public:
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}
  Status Admit(RequestContext& ctx) const;
  // Runs every stage's completion (in reverse); `then` learns, once all have
  // recorded the request, whether the answer may leave.
  void Complete(const RequestContext& ctx, Stage::Recorded then = {}) const;
  // Runs every stage's OnStreamThen; `then` learns, once all have recorded
  // that the stream opened, whether it may.
  void OpenStream(const RequestContext& ctx, Stage::Recorded then) const;
  std::vector<std::string_view> stage_names() const;

 private:
  // Calls `each` on every stage (in reverse) with a Recorded that counts
  // down; `then` runs once, after all, with whether every one recorded.
  void AllRecorded(const std::function<void(Stage&, const Stage::Recorded&)>& each,
                   Stage::Recorded then) const;

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
