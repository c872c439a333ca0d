#include "gateway/stages.h"

#include <algorithm>

#include "common/sha256.h"

namespace daulat::gateway {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string DefaultAction(const RequestContext& ctx) {
  if (ctx.http_status == 401) return "auth_failed";
  switch (ctx.permission) {
    case Permission::kInfer: return ctx.route == "/v1/embeddings" ? "embedding" : "inference";
    case Permission::kListModels: return "list_models";
    case Permission::kReadAudit: return "audit_read";
    case Permission::kReadUsage: return "usage_read";
    case Permission::kReadPolicy: return "policy_read";
    case Permission::kReadMetrics: return "metrics_read";
    default: return "request";
  }
}

}  // namespace

bool KeyAuthenticator::AnonymousAllowed(const RequestContext& ctx) const {
  if (anonymous_ == AnonymousAccess::kNone || ctx.route.rfind("/v1/", 0) != 0) return false;
  return anonymous_ == AnonymousAccess::kBehindProxy || ctx.from_local_client;
}

Status KeyAuthenticator::OnRequest(RequestContext& ctx) {
  const std::string& h = ctx.authorization;
  if (h.empty()) {
    if (AnonymousAllowed(ctx) || ctx.permission == Permission::kPublic) {
      ctx.caller = AnonymousCaller();
      return Status::Ok();
    }
    return Unauthenticated("missing API key: send it as 'Authorization: Bearer <key>'");
  }
  if (h.size() <= kBearer.size() || h.compare(0, kBearer.size(), kBearer) != 0)
    return Unauthenticated("missing API key: send it as 'Authorization: Bearer <key>'");
  const std::string secret = h.substr(kBearer.size());
  auto p = ids_.Authenticate(secret);
  if (!p.ok()) {
    // Where anonymous callers are allowed, the placeholder OpenAI SDKs insist
    // on ("unused", "sk-no-key") is anonymous too; a daulat-shaped credential
    // that fails is still refused, so a mistyped key shows.
    const bool daulat_shaped = secret.rfind("dlt_", 0) == 0 || secret.rfind("dls_", 0) == 0;
    if (p.status().code() == StatusCode::kUnauthenticated && AnonymousAllowed(ctx) &&
        !daulat_shaped) {
      ctx.caller = AnonymousCaller();
      return Status::Ok();
    }
    if (p.status().code() == StatusCode::kUnauthenticated) return p.status();
    return Unavailable("the identity store is unavailable: " + p.status().message());
  }
  ctx.caller.authenticated = true;
  ctx.caller.principal = std::move(p).value();
  ctx.caller.key_id = ctx.caller.principal.subject;
  ctx.caller.partition = "tenant:" + ctx.caller.principal.tenant_id;
  return Status::Ok();
}

Status Authoriser::OnRequest(RequestContext& ctx) {
  const auto& p = ctx.caller.principal;
  const std::string role(identity::RoleName(p.role));
  const std::string scope(PermissionScope(ctx.permission));
  if (!RoleAllows(p.role, ctx.permission))
    return PermissionDenied("the role " + role + " may not use " + ctx.route + " (needs '" + scope +
                            "')");
  if (ctx.permission == Permission::kManageTenants && p.tenant_id != kOperatorTenant)
    return PermissionDenied("only owners of the operator tenant manage tenants");
  // Queue depths and token counts of every tenant: traffic another tenant
  // must not watch.
  if (ctx.permission == Permission::kReadMetrics && p.tenant_id != kOperatorTenant)
    return PermissionDenied("only the operator tenant reads server metrics");
  if (!identity::MayUse(p, ctx.permission))
    return PermissionDenied("this API key lacks the scope '" + scope + "'");
  return Status::Ok();
}

governance::AuditRecord AuditRecordFor(const RequestContext& ctx) {
  governance::AuditRecord r;
  const auto& p = ctx.caller.principal;
  r.tenant_id = p.tenant_id.empty() ? kOperatorTenant : p.tenant_id;
  r.actor = !ctx.actor.empty()                     ? ctx.actor
            : !ctx.caller.key_id.empty()           ? ctx.caller.key_id
            : ctx.caller.principal.subject.empty() ? "unauthenticated"
                                                   : ctx.caller.principal.subject;
  r.action = ctx.audit_action.empty() ? DefaultAction(ctx) : ctx.audit_action;
  r.resource = ctx.resource.empty() ? ctx.route : ctx.resource;
  r.model = ctx.model;
  if (ctx.classified) r.classification = std::string(ClassificationName(ctx.classification));
  const bool ok = ctx.http_status > 0 && ctx.http_status < 400;
  r.decision = ok ? "allow" : "deny";
  std::string reason = ok ? ctx.decision_reason : ctx.error_message;
  if (reason.empty()) reason = ctx.decision_reason;
  r.reason = "HTTP " + std::to_string(ctx.http_status) + (reason.empty() ? "" : ": " + reason);
  if (!ctx.audit_note.empty()) r.reason += "; " + ctx.audit_note;
  if (!ctx.model.empty() && (ctx.prompt_tokens > 0 || ctx.permission == Permission::kInfer))
    r.reason += "; " + std::to_string(ctx.prompt_tokens) + " prompt and " +
                std::to_string(ctx.completion_tokens) + " completion tokens";
  r.pii_counts = ctx.pii_counts;
  if (ctx.policy_version >= 0 && ctx.rules.content_logging != governance::ContentLogging::kNone &&
      (!ctx.contents.empty() || !ctx.output_text.empty())) {
    std::string all;
    for (const auto& c : ctx.contents) all += c + '\x1e';
    r.content_hash = "sha256:" + Sha256Hex(all + '\x1d' + ctx.output_text);
  }
  return r;
}

Status AuditStage::OnRequest(RequestContext& /*ctx*/) {
  if (on_failure_ != AuditFailure::kRefuse || writer_.healthy()) return Status::Ok();
  // This request's own record is still written (and retries the log), so
  // requests are served again as soon as the disk takes writes.
  const Status why = writer_.last_failure();
  const std::string message =
      "the audit log cannot be written, so requests are refused until it can (an operator can "
      "choose otherwise with [audit] on_failure = \"serve\")";
  if (why.code() == StatusCode::kStorageFull)
    return StorageFull("the disk holding the data folder is full: " + message);
  return Unavailable(message);  // the cause is in the server's log, not for every tenant
}

void AuditStage::OnCompleteThen(const RequestContext& ctx, const Recorded& recorded) {
  if (!ctx.audited) return recorded(true);
  Keep(AuditRecordFor(ctx), recorded);
}

void AuditStage::OnStreamThen(const RequestContext& ctx, const Recorded& recorded) {
  if (!ctx.audited) return recorded(true);
  governance::AuditRecord r = AuditRecordFor(ctx);
  r.action = "stream_opened";
  r.decision = "allow";
  r.reason = "the answer streams from here; its outcome is the request's next record";
  r.pii_counts.clear();
  r.content_hash.clear();
  Keep(std::move(r), recorded);
}

void AuditStage::Keep(governance::AuditRecord record, const Recorded& recorded) {
  const bool refuse = on_failure_ == AuditFailure::kRefuse;
  writer_.Submit(std::move(record),
                 [recorded, refuse](bool written) { recorded(written || !refuse); });
}

}  // namespace daulat::gateway
