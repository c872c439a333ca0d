#pragma once

#include <string>

#include "gateway/pipeline.h"
#include "governance/audit_writer.h"
#include "governance/policy.h"
#include "identity/identity_store.h"

namespace daulat::gateway {

// Who may call without a key: nobody; local clients of a loopback server
// with no static key (the quick start's curl); or anyone, where a proxy in
// front authenticates (allow_unauthenticated).
enum class AnonymousAccess { kNone, kLocalClients, kBehindProxy };

// authenticate: "Authorization: Bearer <API key or session token>" checked
// against the identity store. A request without a key (or with the
// placeholder OpenAI SDKs send) is an anonymous TERBUKA member only on /v1,
// and with kLocalClients only from a local client (ctx.from_local_client:
// loopback peer, loopback Host, no foreign Origin), so a web page open in
// the operator's browser, DNS rebinding included, gets nothing. Never on /api.
// Keys are never logged; every failure reads the same.
class KeyAuthenticator : public Stage {
 public:
  KeyAuthenticator(identity::IdentityStore& ids, AnonymousAccess anonymous)
      : ids_(ids), anonymous_(anonymous) {}
  std::string_view name() const override { return "authenticate"; }
  Status OnRequest(RequestContext& ctx) override;

 private:
  bool AnonymousAllowed(const RequestContext& ctx) const;

  identity::IdentityStore& ids_;
  AnonymousAccess anonymous_;
};

// authorise: the caller's role must allow the request's permission, and a key
// with scopes must hold the permission's scope.
class Authoriser : public Stage {
 public:
  std::string_view name() const override { return "authorise"; }
  Status OnRequest(RequestContext& ctx) override;
};

// What happens when the audit log cannot be written: refuse (the default:
// no answer leaves without its record, and new requests get 503 until the
// log is writable again) or serve (answers leave; the loss is logged).
enum class AuditFailure { kRefuse, kServe };

// audit: one record per request: who, tenant, action, resource, model,
// classification, decision and reason, PII counts, content hash as policy
// says; never content or keys. Written by a background writer in group
// commits; with kRefuse the answer waits for its record's batch.
class AuditStage : public Stage {
 public:
  explicit AuditStage(governance::AuditWriter& writer,
                      AuditFailure on_failure = AuditFailure::kRefuse)
      : writer_(writer), on_failure_(on_failure) {}
  std::string_view name() const override { return "audit"; }
  // UNAVAILABLE while the log cannot be written (kRefuse).
  Status OnRequest(RequestContext& ctx) override;
  void OnComplete(const RequestContext& ctx) override {
    OnCompleteThen(ctx, [](bool) {});
  }
  void OnCompleteThen(const RequestContext& ctx, const Recorded& recorded) override;
  // A "stream_opened" record, written before the first piece leaves.
  void OnStreamThen(const RequestContext& ctx, const Recorded& recorded) override;

 private:
  void Keep(governance::AuditRecord record, const Recorded& recorded);

  governance::AuditWriter& writer_;
  AuditFailure on_failure_;
};

// The audit record a finished request leaves (exposed for tests).
governance::AuditRecord AuditRecordFor(const RequestContext& ctx);

}  // namespace daulat::gateway
