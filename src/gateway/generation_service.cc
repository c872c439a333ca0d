// GenerationService: the level, the model under the tenant's policy, quota
// admission, and embeddings. A request's model calls are in generation.cc.

#include "gateway/generation_service.h"

#include <algorithm>

#include "governance/pii_guard.h"

namespace daulat::gateway {
namespace {

// The KV/prefix cache is shared only by requests of one tenant, level,
// caller and set of ACL groups: nothing one of them sent can shape, or be
// read back from, another's answer.
// Each part is length-prefixed, so no name (a user called "a|g:hr") can
// make two different callers' partitions equal.
std::string CachePartition(const Caller& caller, Classification level) {
  const auto& p = caller.principal;
  std::vector<std::string> groups = p.groups;
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::string out = "tenant:" + p.tenant_id + "|" + std::string(ClassificationName(level)) + "|";
  const auto add = [&out](const std::string& part) {
    out += std::to_string(part.size()) + ":" + part + ";";
  };
  add(caller.authenticated ? p.subject : "anonymous");
  for (const auto& g : groups) add(g);
  return out;
}

governance::PiiScanFn DefaultScan() {
  auto guard = std::make_shared<governance::PiiGuard>();
  return [guard](std::string_view text) { return guard->Scan(text); };
}

}  // namespace

GenerationService::GenerationService(GenerationServiceOptions options)
    : options_(std::move(options)), workers_(std::max<size_t>(1, options_.workers)) {
  if (!options_.pii_scan) options_.pii_scan = DefaultScan();
}

GenerationService::~GenerationService() {
  Drain();
}

void GenerationService::Drain() {
  remote_calls_.join();  // remote answers are handed to the workers: join them first
  workers_.join();
}

Result<Classification> GenerationService::DeclaredLevel(RequestContext& ctx) {
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
  if (level > p.clearance) {
    ctx.decision_reason = "the request is declared " + std::string(ClassificationName(level)) +
                          " but the caller's clearance is " +
                          std::string(ClassificationName(p.clearance));
    return PermissionDenied(ctx.decision_reason);
  }
  return level;
}

Result<std::unique_ptr<Generation>> GenerationService::Begin(RequestContext& ctx,
                                                             const std::string& requested,
                                                             Classification level) {
  auto g = std::unique_ptr<Generation>(new Generation(*this, ctx));
  g->level_ = level;
  ctx.classification = level;
  ctx.classified = true;
  ctx.caller.partition = CachePartition(ctx.caller, level);

  // Which model, and where it runs.
  const std::string& model = requested.empty() ? options_.defaults.chat : requested;
  Classification model_max = Classification::kTerbuka;
  std::string backend = "local";
  Classification backend_max = Classification::kRahsiaBesar;
  for (const auto& hosted : options_.models->models()) {
    const auto& manifest = hosted->installed.manifest;
    if ((model.empty() && manifest.HasCapability("chat")) || manifest.name == model) {
      g->local_ = hosted.get();
      model_max = manifest.max_classification;
      break;
    }
  }
  if (g->local_ == nullptr && !model.empty() && options_.remote != nullptr) {
    g->remote_ = options_.remote->ForModel(model);
    if (g->remote_ != nullptr) {
      backend = g->remote_->name;
      model_max = backend_max = g->remote_->max_classification;
    }
  }
  if (g->local_ == nullptr && g->remote_ == nullptr)
    return NotFound(model.empty() ? "no chat model is served"
                                  : "the model '" + model + "' does not exist");
  g->model_ = g->local_ != nullptr ? g->local_->installed.manifest.name : model;
  ctx.model = g->model_;

  // The tenant's policy for the level decides the model, the backend and the rules.
  governance::Policy policy = governance::DefaultPolicy();
  if (options_.policies != nullptr) {
    auto current = options_.policies->Current(ctx.caller.principal.tenant_id);
    if (!current.ok())
      return Unavailable("the tenant policy cannot be read: " + current.status().message());
    policy = std::move(current).value();
  }
  ctx.policy_version = policy.version;
  ctx.rules = g->rules_ = policy.at(level);
  const auto d = governance::DecideModel(policy, level, g->model_, model_max, backend, backend_max);
  ctx.decision_reason = d.reason;
  if (!d.allowed) return PermissionDenied(d.reason);

  // One request against the rate limits; tokens are reserved per model call.
  DAULAT_RETURN_IF_ERROR(Admit(ctx));
  return g;
}

Status GenerationService::Admit(RequestContext& ctx) {
  if (ctx.quota_admitted || options_.quotas == nullptr || !ctx.caller.authenticated)
    return Status::Ok();
  const auto& p = ctx.caller.principal;
  options_.quotas->SetKeyLimits(p.subject, p.tenant_id,
                                {p.key_limits.requests_per_minute, p.key_limits.tokens_per_day});
  options_.quotas->SetTenantLimits(
      p.tenant_id, {p.tenant_limits.requests_per_minute, p.tenant_limits.tokens_per_day});
  DAULAT_RETURN_IF_ERROR(options_.quotas->Admit(p.subject, p.tenant_id));
  ctx.quota_admitted = true;
  return Status::Ok();
}

Result<GenerationService::Embedded> GenerationService::Embed(
    RequestContext& ctx, const std::string& model, Classification level,
    const std::vector<std::string>& inputs, const std::function<bool()>& abandoned) {
  auto g = Begin(ctx, model, level);
  if (!g.ok()) return g.status();
  HostedModel* m = (*g)->local_;
  if (m == nullptr || !m->embeddings_enabled)
    return InvalidArgument("the model '" + model + "' does not serve embeddings");
  GenerationRequest texts;
  texts.chat = false;
  Embedded out;
  for (const auto& input : inputs) {
    texts.prompt = input;
    DAULAT_RETURN_IF_ERROR((*g)->GuardPrompt(texts));
    if (abandoned && abandoned()) return Cancelled("the client left");
    const int64_t tokens = static_cast<int64_t>(m->model->CountTokens(texts.prompt));
    int64_t reserved = 0;
    if (options_.quotas != nullptr && ctx.caller.authenticated) {
      const auto& p = ctx.caller.principal;
      auto granted = options_.quotas->Reserve(p.subject, p.tenant_id, tokens - 1, 1);
      if (!granted.ok()) return granted.status();
      reserved = tokens;
    }
    auto v = m->Embed(texts.prompt);
    engine::GenerationStats stats;
    stats.prompt_tokens = v.ok() ? static_cast<size_t>(tokens) : 0;
    (*g)->Settle(reserved, stats);
    if (!v.ok()) return v.status();
    out.vectors.push_back(std::move(v).value());
    out.tokens += static_cast<size_t>(tokens);
  }
  return out;
}

}  // namespace daulat::gateway
