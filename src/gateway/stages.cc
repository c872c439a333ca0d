#include "gateway/stages.h"

#include <algorithm>
#include <exception>

#include "common/sha256.h"

namespace daulat::gateway {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string CountsText(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [type, n] : counts) {
    out += (out.empty() ? "" : ", ") + type + " x" + std::to_string(n);
  }
  return out;
}

std::string DefaultAction(const RequestContext& ctx) {
  if (ctx.http_status == 401) return "auth_failed";
  switch (ctx.permission) {
    case Permission::kInfer: return ctx.route == "/v1/embeddings" ? "embedding" : "inference";
    case Permission::kListModels: return "list_models";
    case Permission::kReadAudit: return "audit_read";
    case Permission::kReadUsage: return "usage_read";
    case Permission::kReadPolicy: return "policy_read";
    default: return "request";
  }
}

}  // namespace

Status KeyAuthenticator::OnRequest(RequestContext& ctx) {
  const std::string& h = ctx.authorization;
  if (h.empty()) {
    if (allow_anonymous_ || ctx.permission == Permission::kPublic) {
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
    if (p.status().code() == StatusCode::kUnauthenticated && allow_anonymous_ && !daulat_shaped) {
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
  if (!p.scopes.empty() && ctx.permission != Permission::kPublic &&
      ctx.permission != Permission::kSelf) {
    // A write scope implies its read scope ("policy" covers "policy.read").
    const bool held = std::any_of(p.scopes.begin(), p.scopes.end(), [&](const std::string& s) {
      return s == scope || scope == s + ".read";
    });
    if (!held) return PermissionDenied("this API key lacks the scope '" + scope + "'");
  }
  return Status::Ok();
}

Status QuotaStage::OnRequest(RequestContext& ctx) {
  if (ctx.permission != Permission::kInfer || !ctx.caller.authenticated) return Status::Ok();
  const auto& p = ctx.caller.principal;
  book_.SetKeyLimits(p.subject, {p.key_limits.requests_per_minute, p.key_limits.tokens_per_day});
  book_.SetTenantLimits(p.tenant_id,
                        {p.tenant_limits.requests_per_minute, p.tenant_limits.tokens_per_day});
  return book_.Admit(p.subject, p.tenant_id);
}

void QuotaStage::OnComplete(const RequestContext& ctx) {
  // Any request that ran a model spends the token budget, not only /v1.
  if (!ctx.caller.authenticated) return;
  const auto tokens = static_cast<int64_t>(ctx.prompt_tokens + ctx.completion_tokens);
  if (tokens > 0)
    book_.Charge(ctx.caller.principal.subject, ctx.caller.principal.tenant_id, tokens);
}

Status PolicyStage::OnRequest(RequestContext& ctx) {
  if (ctx.permission != Permission::kInfer) return Status::Ok();
  const auto& p = ctx.caller.principal;
  Classification level = p.clearance;
  if (!ctx.declared_classification.empty()) {
    const auto declared = ParseClassification(ctx.declared_classification);
    if (!declared)
      return InvalidArgument("X-Daulat-Classification '" +
                             ctx.declared_classification.substr(0, 40) +
                             "' is not a classification level (TERBUKA, TERHAD, SULIT, RAHSIA, "
                             "RAHSIA BESAR, or PUBLIC .. TOP SECRET)");
    level = *declared;
  }
  ctx.classification = level;
  ctx.classified = true;
  ctx.caller.partition = "tenant:" + p.tenant_id + "|" + std::string(ClassificationName(level));
  if (level > p.clearance) {
    ctx.decision_reason = "the request is declared " + std::string(ClassificationName(level)) +
                          " but the caller's clearance is " +
                          std::string(ClassificationName(p.clearance));
    return PermissionDenied(ctx.decision_reason);
  }
  auto policy = policies_.Current(p.tenant_id);
  if (!policy.ok())
    return Unavailable("the tenant policy cannot be read: " + policy.status().message());
  ctx.policy_version = policy->version;
  ctx.rules = policy->at(level);
  if (!ctx.model_known) return Status::Ok();  // the handler answers 404
  const auto d = governance::DecideModel(*policy, level, ctx.model, ctx.model_max, ctx.backend,
                                         ctx.backend_max);
  ctx.decision_reason = d.reason;
  return d.allowed ? Status::Ok() : PermissionDenied(d.reason);
}

Status PiiStage::OnRequest(RequestContext& ctx) {
  if (ctx.permission != Permission::kInfer || ctx.policy_version < 0) return Status::Ok();
  const auto mode = ctx.rules.pii_prompt;
  try {
    governance::PiiMasker masker(scan_);
    std::vector<governance::PiiFinding> findings;
    for (auto& text : ctx.contents) {
      std::string masked = masker.Mask(text, &findings);
      if (mode == governance::PiiMode::kMask) text = std::move(masked);
    }
    for (const auto& f : findings) ++ctx.pii_counts[std::string(governance::PiiTypeName(f.type))];
    if (!findings.empty() && mode == governance::PiiMode::kBlock) {
      ctx.decision_reason = "the prompt contains personal data (" + CountsText(ctx.pii_counts) +
                            ") and policy v" + std::to_string(ctx.policy_version) +
                            " blocks personal data in " +
                            std::string(ClassificationName(ctx.classification)) + " prompts";
      return PermissionDenied(ctx.decision_reason);
    }
    ctx.output_guard = std::make_shared<governance::OutputGuard>(
        scan_, ctx.rules.pii_output,
        mode == governance::PiiMode::kMask ? masker.originals()
                                           : std::map<std::string, std::string>{});
  } catch (const std::exception& e) {
    ctx.decision_reason = std::string("the PII guard failed (") + e.what() + "); request blocked";
    return Internal(ctx.decision_reason);
  } catch (...) {
    ctx.decision_reason = "the PII guard failed; request blocked";
    return Internal(ctx.decision_reason);
  }
  if (!ctx.pii_counts.empty()) {
    ctx.decision_reason += "; PII in prompt " +
                           std::string(mode == governance::PiiMode::kMask ? "masked" : "allowed") +
                           " (" + CountsText(ctx.pii_counts) + ")";
  }
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
  if (ctx.permission == Permission::kInfer)
    r.reason += "; " + std::to_string(ctx.prompt_tokens) + " prompt and " +
                std::to_string(ctx.completion_tokens) + " completion tokens";
  r.pii_counts = ctx.pii_counts;
  if (ctx.output_guard) {
    for (const auto& [type, n] : ctx.output_guard->counts()) r.pii_counts["output_" + type] = n;
  }
  if (ctx.policy_version >= 0 && ctx.rules.content_logging != governance::ContentLogging::kNone &&
      (!ctx.contents.empty() || !ctx.output_text.empty())) {
    std::string all;
    for (const auto& c : ctx.contents) all += c + '\x1e';
    r.content_hash = "sha256:" + Sha256Hex(all + '\x1d' + ctx.output_text);
  }
  return r;
}

void AuditStage::OnComplete(const RequestContext& ctx) {
  writer_.Submit(AuditRecordFor(ctx));
}

}  // namespace daulat::gateway
