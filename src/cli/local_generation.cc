#include "cli/local_generation.h"

#include <chrono>
#include <future>

#include "cli/progress_bar.h"
#include "gateway/stages.h"

namespace daulat::cli {

Result<std::unique_ptr<LocalGeneration>> LocalGeneration::Open(const GlobalOptions& global,
                                                               const GenerationFlags& flags,
                                                               const Caller& caller,
                                                               const std::string& action) {
  auto sampling = flags.sampling;
  sampling.seed = flags.seed;
  DAULAT_RETURN_IF_ERROR(sampling.Validate());
  const auto registry = global.Registry();
  auto installed = registry.Find(flags.model);
  if (!installed.ok()) return installed.status();
  {
    ProgressBar bar("verifying " + flags.model);
    DAULAT_RETURN_IF_ERROR(registry.EnsureVerified(*installed, [&](uint64_t done, uint64_t total) {
      bar.Update(done, total);
      return !InterruptGuard::interrupted();
    }));
  }
  auto g = std::unique_ptr<LocalGeneration>(new LocalGeneration());
  auto stores = AdminStores::Open(global);
  if (!stores.ok()) return stores.status();
  g->stores_ = std::move(stores).value();
  gateway::ModelServeConfig config;
  config.name = flags.model;
  config.scheduler.parallel = 1;
  config.scheduler.context_length = flags.context_length;
  config.scheduler.threads = flags.threads;
  config.embeddings = false;
  DAULAT_RETURN_IF_ERROR(config.scheduler.Validate());
  auto host = gateway::ModelHost::Load(registry, {config});
  if (!host.ok()) return host.status();
  g->host_ = std::move(host).value();
  gateway::GenerationServiceOptions o;
  o.models = g->host_.get();
  o.policies = g->stores_.policies.get();
  o.pii_scan = [pii = &g->pii_](std::string_view text) { return pii->Scan(text); };
  o.workers = 1;
  g->service_ = std::make_unique<gateway::GenerationService>(std::move(o));
  auto& ctx = g->ctx_;
  ctx.request_id = "cli";
  ctx.route = "cli";
  ctx.audit_action = action;
  ctx.caller.authenticated = true;
  ctx.caller.key_id = CliActor();
  ctx.caller.principal.tenant_id = caller.tenant;
  ctx.caller.principal.subject = CliActor();
  ctx.caller.principal.role = identity::Role::kMember;
  ctx.caller.principal.clearance = caller.clearance;
  ctx.caller.principal.groups = caller.groups;
  return g;
}

void LocalGeneration::NextRequest() {
  gateway::RequestContext next;
  next.request_id = ctx_.request_id;
  next.route = ctx_.route;
  next.audit_action = ctx_.audit_action;
  next.caller = ctx_.caller;
  ctx_ = std::move(next);
}

LocalGeneration::~LocalGeneration() {
  if (host_) host_->Stop(/*drain=*/false);
  service_.reset();  // its workers finish before the models go
}

gateway::GenerationOutcome LocalGeneration::RunInterruptible(
    gateway::Generation& g, gateway::GenerationRequest request,
    const std::function<void(const std::string&)>& on_text) {
  std::promise<gateway::GenerationOutcome> done;
  auto future = done.get_future();
  gateway::GenerationCallbacks callbacks;
  callbacks.on_text = on_text;
  callbacks.on_done = [&done](gateway::GenerationOutcome&& o) { done.set_value(std::move(o)); };
  const auto started = g.Start(std::move(request), std::move(callbacks));
  if (!started.status.ok()) {
    gateway::GenerationOutcome failed;
    failed.status = started.status;
    failed.param = started.param;
    return failed;
  }
  // SIGINT only sets a flag; the cancellation itself happens here.
  while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (InterruptGuard::interrupted()) g.Cancel();
  }
  return future.get();
}

Status LocalGeneration::Record(unsigned status, const std::string& error) {
  ctx_.http_status = status;
  ctx_.error_message = error;
  return stores_.audit->Append(gateway::AuditRecordFor(ctx_)).status();
}

}  // namespace daulat::cli
