#pragma once

#include <string>

#include "gateway/pipeline.h"
#include "governance/audit_writer.h"
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
