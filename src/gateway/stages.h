#pragma once

#include <string>

#include "gateway/pipeline.h"
#include "gateway/quota.h"
#include "governance/audit_writer.h"
#include "governance/pii_filter.h"
#include "governance/policy.h"
#include "identity/identity_store.h"

namespace daulat::gateway {

// authenticate: "Authorization: Bearer <API key or session token>" checked
// against the identity store. With `allow_anonymous` (loopback, no key
// configured) a request without the header is an anonymous TERBUKA member.
// Keys are never logged; every failure reads the same.
class KeyAuthenticator : public Stage {
 public:
  KeyAuthenticator(identity::IdentityStore& ids, bool allow_anonymous)
      : ids_(ids), allow_anonymous_(allow_anonymous) {}
  std::string_view name() const override { return "authenticate"; }
  Status OnRequest(RequestContext& ctx) override;

 private:
  identity::IdentityStore& ids_;
  bool allow_anonymous_;
};

// authorise: the caller's role must allow the request's permission, and a key
// with scopes must hold the permission's scope.
class Authoriser : public Stage {
 public:
  std::string_view name() const override { return "authorise"; }
  Status OnRequest(RequestContext& ctx) override;
};

// quotas: requests per minute and tokens per day, per key and per tenant, for
// inference. Tokens are charged when the request completes.
class QuotaStage : public Stage {
 public:
  explicit QuotaStage(QuotaBook& book) : book_(book) {}
  std::string_view name() const override { return "quotas"; }
  Status OnRequest(RequestContext& ctx) override;
  void OnComplete(const RequestContext& ctx) override;

 private:
  QuotaBook& book_;
};

// policy: the request's classification (X-Daulat-Classification, default the
// caller's clearance) may not exceed the caller's clearance, and the tenant's
// policy for that level must allow the model and backend. Sets ctx.rules
// (PII modes, content logging) and the reason for the decision.
class PolicyStage : public Stage {
 public:
  explicit PolicyStage(governance::PolicyStore& policies) : policies_(policies) {}
  std::string_view name() const override { return "policy"; }
  Status OnRequest(RequestContext& ctx) override;

 private:
  governance::PolicyStore& policies_;
};

// PII guard on the prompt (allow: count, mask: typed placeholders, block:
// refuse) and an output guard for the answer. Fails closed: if the scan
// fails, the request is refused (and audited as such).
class PiiStage : public Stage {
 public:
  explicit PiiStage(governance::PiiScanFn scan) : scan_(std::move(scan)) {}
  std::string_view name() const override { return "pii_guard"; }
  Status OnRequest(RequestContext& ctx) override;

 private:
  governance::PiiScanFn scan_;
};

// audit: one record per request: who, tenant, action, resource, model,
// classification, decision and reason, PII counts, content hash as policy
// says; never content or keys. Written by a background writer.
class AuditStage : public Stage {
 public:
  explicit AuditStage(governance::AuditWriter& writer) : writer_(writer) {}
  std::string_view name() const override { return "audit"; }
  Status OnRequest(RequestContext& /*ctx*/) override { return Status::Ok(); }
  void OnComplete(const RequestContext& ctx) override;

 private:
  governance::AuditWriter& writer_;
};

// The audit record a finished request leaves (exposed for tests).
governance::AuditRecord AuditRecordFor(const RequestContext& ctx);

}  // namespace daulat::gateway
