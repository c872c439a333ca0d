#include "gateway/pipeline.h"

#include <sodium.h>

#include <atomic>

#include "common/log.h"
#include "common/sha256.h"

namespace daulat::gateway {

Status Pipeline::Admit(RequestContext& ctx) const {
  for (const auto& stage : stages_) DAULAT_RETURN_IF_ERROR(stage->OnRequest(ctx));
  return Status::Ok();
}

void Pipeline::Complete(const RequestContext& ctx, Stage::Recorded then) const {
  AllRecorded([&ctx](Stage& s, const Stage::Recorded& r) { s.OnCompleteThen(ctx, r); },
              std::move(then));
}

void Pipeline::OpenStream(const RequestContext& ctx, Stage::Recorded then) const {
  AllRecorded([&ctx](Stage& s, const Stage::Recorded& r) { s.OnStreamThen(ctx, r); },
              std::move(then));
}

void Pipeline::AllRecorded(const std::function<void(Stage&, const Stage::Recorded&)>& each,
                           Stage::Recorded then) const {
  // One hold per stage and one for this loop, so `then` runs once, after all.
  struct Pending {
    std::atomic<size_t> holds;
    std::atomic<bool> recorded{true};
    Stage::Recorded then;
  };
  auto pending = std::make_shared<Pending>();
  pending->holds = stages_.size() + 1;
  pending->then = std::move(then);
  const Stage::Recorded release = [pending](bool recorded) {
    if (!recorded) pending->recorded = false;
    if (pending->holds.fetch_sub(1) == 1 && pending->then) pending->then(pending->recorded.load());
  };
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) each(**it, release);
  release(true);
}

std::vector<std::string_view> Pipeline::stage_names() const {
  std::vector<std::string_view> names;
  for (const auto& s : stages_) names.push_back(s->name());
  return names;
}

Caller AnonymousCaller() {
  Caller c;
  c.principal.tenant_id = kOperatorTenant;
  c.principal.subject = "anonymous";
  c.principal.role = identity::Role::kMember;
  c.principal.clearance = Classification::kTerbuka;
  c.partition = "anonymous";
  return c;
}

Status BearerTokenAuthenticator::OnRequest(RequestContext& ctx) {
  if (token_.empty()) {
    ctx.caller = AnonymousCaller();
    return Status::Ok();
  }
  constexpr std::string_view kPrefix = "Bearer ";
  const std::string& h = ctx.authorization;
  if (h.size() <= kPrefix.size() || h.compare(0, kPrefix.size(), kPrefix) != 0) {
    return Unauthenticated("missing API key: send it as 'Authorization: Bearer <key>'");
  }
  const std::string_view given = std::string_view(h).substr(kPrefix.size());
  // Compare digests so that the comparison time does not depend on the key.
  const std::string a = Sha256Hex(given);
  const std::string b = Sha256Hex(token_);
  if (sodium_memcmp(a.data(), b.data(), a.size()) != 0) return Unauthenticated("invalid API key");
  ctx.caller.authenticated = true;
  ctx.caller.key_id = "static:" + b.substr(0, 12);
  ctx.caller.partition = ctx.caller.key_id;
  ctx.caller.principal.tenant_id = kOperatorTenant;
  ctx.caller.principal.subject = ctx.caller.key_id;
  ctx.caller.principal.role = identity::Role::kOwner;
  ctx.caller.principal.clearance = Classification::kTerbuka;
  return Status::Ok();
}

void UsageLogger::OnComplete(const RequestContext& ctx) {
  spdlog::info(
      "request id={} route={} caller={} model={} status={} prompt_tokens={} completion_tokens={} "
      "ms={:.1f}",
      ctx.request_id, ctx.route, ctx.caller.key_id.empty() ? "anonymous" : ctx.caller.key_id,
      ctx.model.empty() ? "-" : ctx.model, ctx.http_status, ctx.prompt_tokens,
      ctx.completion_tokens, ctx.duration_ms);
}

}  // namespace daulat::gateway
