#include <sys/resource.h>
#include <sys/stat.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "assessment/assessments.h"
#include "cli/admin_stores.h"
#include "cli/audit_store.h"
#include "cli/bootstrap_admin.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/lumin_library.h"
#include "cli/serve_config.h"
#include "cli/server_node.h"
#include "common/clock.h"
#include "common/log.h"
#include "gateway/content_log.h"
#include "gateway/stages.h"
#include "governance/pii_guard.h"
#include "http/api_server.h"
#include "knowledge/conversations.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"
#include "knowledge/vector_backfill.h"
#include "store/data_folder_lock.h"

namespace daulat::cli {
namespace {

// Each connection is a descriptor, and so are the database, WAL, models and
// blobs: a soft limit of 1024 (Debian's default) would refuse connections
// far below max_connections. Raised to the hard limit, as nginx and HAProxy
// do; what remains short is said at start, not found under load.
void RaiseOpenFileLimit(size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  const rlim_t wanted = max_connections + 256;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted)
    spdlog::warn(
        "open files are limited to {} (ulimit -n) but max_connections is {}: raise the "
        "limit to at least {} or connections will wait for descriptors",
        limit.rlim_cur, max_connections, wanted);
}

struct ServeFlags {
  std::string config;
  std::string host;
  int port = -1;
  uint32_t parallel = 0;
  uint32_t context_length = 0;
  int threads = -1;
};

int Serve(const GlobalOptions& global_options, const ServeFlags& flags) {
  // Block the stop signals before any thread starts, so that only the
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto config = LoadServeConfig(flags.config);
  if (!config.ok()) return ReportError(config.status());
  ServeConfig& c = *config;
  if (!flags.host.empty()) c.http.host = flags.host;
  if (flags.port >= 0) c.http.port = static_cast<uint16_t>(flags.port);
  if (const char* key = std::getenv("DAULAT_API_KEY"); key != nullptr && *key != '\0')
    c.api_key = key;
  if (const char* mode = std::getenv("DAULAT_AUDIT_ON_FAILURE"); mode != nullptr && *mode != '\0') {
    auto parsed = ParseAuditFailure(mode, "DAULAT_AUDIT_ON_FAILURE");
    if (!parsed.ok()) return ReportError(parsed.status());
    c.audit_on_failure = *parsed;
  }
  if (const char* model = std::getenv("DAULAT_DEFAULT_MODEL"); model != nullptr && *model != '\0')
    c.defaults = {model, model, model, model};
  if (const char* url = std::getenv("DAULAT_VALKEY_URL"); url != nullptr && *url != '\0')
    c.valkey_url = url;
  if (const char* mode = std::getenv("DAULAT_QUOTAS_ON_UNAVAILABLE");
      mode != nullptr && *mode != '\0') {
    auto parsed = ParseQuotaOutage(mode, "DAULAT_QUOTAS_ON_UNAVAILABLE");
    if (!parsed.ok()) return ReportError(parsed.status());
    c.quota_outage = *parsed;
  }
  GlobalOptions global = global_options;  // --database-url, else [database] url
  if (global.database_url.empty()) global.database_url = c.database_url;
  const auto registry = global.Registry();
  if (Status st = FinishServeConfig(c, registry); !st.ok()) return ReportError(st);
  RaiseOpenFileLimit(static_cast<size_t>(c.http.max_connections));
  for (auto& m : c.models) {
    if (flags.parallel > 0) m.scheduler.parallel = flags.parallel;
    if (flags.context_length > 0) m.scheduler.context_length = flags.context_length;
    if (flags.threads >= 0) m.scheduler.threads = flags.threads;
    if (Status st = m.scheduler.Validate(); !st.ok()) return ReportError(st);
  }

  // The audit log: every request leaves a record, written off the request path.
  std::error_code mkdir_error;
  std::filesystem::create_directories(global.DataDir(), mkdir_error);
  ::chmod(global.DataDir().c_str(), 0700);  // also a folder made before umask was set
  auto folder_lock = store::DataFolderLock::Share(global.DataDir());
  if (!folder_lock.ok()) return ReportError(folder_lock.status());
  auto db =
      store::IsPostgresUrl(global.DatabaseLocation()) && c.database_pool > 0
          ? store::OpenPostgres(global.DatabaseLocation(), {.max_connections = c.database_pool})
          : store::OpenDatabase(global.DatabaseLocation());
  if (!db.ok()) return ReportError(db.status());
  auto writers_lock = ShareWritersLock(**db);
  if (!writers_lock.ok()) return ReportError(writers_lock.status());
  auto signer = LoadOrCreateAuditSigner(global.DataDir());
  if (!signer.ok()) return ReportError(signer.status());
  auto audit_log = governance::AuditLog::Open(**db, *signer);
  if (!audit_log.ok()) return ReportError(audit_log.status());
  governance::AuditWriter audit_writer(**audit_log);
  auto ids = identity::IdentityStore::Open(**db);
  if (!ids.ok()) return ReportError(ids.status());
  if (Status st = BootstrapIdentity(**ids, audit_writer, c.api_key); !st.ok())
    return ReportError(st);
  auto policies = governance::PolicyStore::Open(**db);
  if (!policies.ok()) return ReportError(policies.status());
  auto usage = gateway::UsageMeter::Open(**db);
  if (!usage.ok()) return ReportError(usage.status());
  auto blobs = store::BlobStore::Open(global.DataDir() / "blobs");
  if (!blobs.ok()) return ReportError(blobs.status());
  auto library = knowledge::Library::Open(**db, **blobs);
  if (!library.ok()) return ReportError(library.status());
  (*library)->SetIndexDir(global.DataDir() / "vectors");
  auto jobs = knowledge::IngestionJobs::Open(**db);
  if (!jobs.ok()) return ReportError(jobs.status());
  // Jobs left running are an earlier process's only if no other server is
  // running them now, on this machine or on any node sharing the database.
  ServerLock server_lock;
  auto first_server = TakeServerLock(global, **db, server_lock);
  if (!first_server.ok()) return ReportError(first_server.status());
  if (!*first_server) {
    spdlog::warn("another server runs on this data: its upload jobs are left to it");
  } else if (auto interrupted = (*jobs)->MarkInterrupted(); !interrupted.ok()) {
    return ReportError(interrupted.status());
  } else if (*interrupted > 0) {
    spdlog::warn("{} upload job(s) left running by an earlier process are marked interrupted",
                 *interrupted);
  }
  if (server_lock.cluster && *first_server) {
    if (Status st = server_lock.cluster->EndAlone(); !st.ok()) return ReportError(st);
  }
  auto conversations = knowledge::Conversations::Open(**db);
  if (!conversations.ok()) return ReportError(conversations.status());
  ForgetErasedDocuments(**library, **jobs, **conversations);
  auto assessments = assessment::Assessments::Open(**db);
  if (!assessments.ok()) return ReportError(assessments.status());
  std::unique_ptr<assessment::Framework> framework;
  if (const char* env = std::getenv("DAULAT_ASSESSMENT_FRAMEWORK"); env != nullptr && *env != '\0')
    c.assessment_framework = env;
  if (!c.assessment_framework.empty()) {
    auto fw = assessment::LoadFramework(c.assessment_framework);
    if (!fw.ok()) return ReportError(fw.status());
    framework = std::make_unique<assessment::Framework>(std::move(fw).value());
  }
  auto content_log = gateway::ContentLog::Open(**db);
  if (!content_log.ok()) return ReportError(content_log.status());
  auto rate_limits = OpenRateLimits(c);
  if (!rate_limits.ok()) return ReportError(rate_limits.status());
  const governance::PiiGuard pii_guard;

  auto host = gateway::ModelHost::Load(registry, c.models);
  if (!host.ok()) return ReportError(host.status());
  // The only way out of the process: backends the operator configured, in allowed jurisdictions.
  const governance::EgressGuard egress(c.allowed_jurisdictions, c.backends);
  const gateway::RemoteBackends remote(egress, c.backends);
  // The request chain, in order (DESIGN.md): OnComplete runs in reverse, so
  // metering and audit see the finished request.
  const auto anonymous = c.anonymous;
  std::vector<std::unique_ptr<gateway::Stage>> stages;
  stages.push_back(std::make_unique<gateway::KeyAuthenticator>(**ids, anonymous));
  stages.push_back(std::make_unique<gateway::Authoriser>());
  stages.push_back(std::make_unique<gateway::AuditStage>(audit_writer, c.audit_on_failure));
  auto* contents = content_log->get();
  stages.push_back(std::move(content_log).value());
  stages.push_back(std::make_unique<gateway::UsageLogger>());
  stages.push_back(std::move(usage).value());
  auto* meter = static_cast<gateway::UsageMeter*>(stages.back().get());
  const gateway::Pipeline pipeline(std::move(stages));
  // The one path to every model (DESIGN.md): policy, PII rules, quotas, engine, output rules.
  gateway::GenerationServiceOptions generation_options;
  generation_options.models = host->get();
  generation_options.defaults = c.defaults;
  generation_options.remote = &remote;
  generation_options.policies = policies->get();
  generation_options.pii_scan = [&pii_guard](std::string_view text) {
    return pii_guard.Scan(text);
  };
  generation_options.quotas = rate_limits->quotas.get();
  generation_options.request_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(c.http.request_timeout);
  gateway::GenerationService generation(std::move(generation_options));
  http::ApiServices services;
  services.models = host->get();
  services.pipeline = &pipeline;
  services.generation = &generation;
  services.identity = ids->get();
  services.policies = policies->get();
  services.audit = audit_log->get();
  services.audit_writer = &audit_writer;
  const governance::QueryFingerprints query_fingerprints(signer->seed());
  services.query_fingerprints = &query_fingerprints;
  services.usage = meter;
  services.db = db->get();
  services.remote = &remote;
  services.library = library->get();
  services.jobs = jobs->get();
  services.conversations = conversations->get();
  services.assessments = assessments->get();
  services.framework = framework.get();
  // Lumin's hybrid retrieval: the multilingual embedding model when it is
  // served, else the first served model that only embeds; without one, BM25.
  std::vector<const engine::ModelManifest*> served;
  for (const auto& m : (*host)->models()) served.push_back(&m->installed.manifest);
  if (const auto pick = PickEmbeddingModel(served)) {
    gateway::HostedModel* hosted = (*host)->models()[*pick].get();
    (*library)->SetEmbedder(
        hosted->installed.manifest.name,
        [hosted](std::string_view text, knowledge::Library::EmbedAs as) {
          return hosted->Embed(std::string(text), EmbedPurposeOf(as));
        },
        [hosted](std::string_view text) { return hosted->model->CountTokens(text); });
    spdlog::info("lumin: hybrid retrieval with {}", hosted->installed.manifest.name);
  }
  // Chunks without a vector from this model (added before it was installed,
  // or the operator changed the model) are embedded in the background.
  std::unique_ptr<knowledge::VectorBackfill> backfill;
  if ((*library)->retrieval() == "hybrid") {
    std::vector<std::string> tenants = {gateway::kOperatorTenant};
    if (auto listed = (*ids)->ListTenants(); listed.ok()) {
      for (const auto& t : *listed)
        if (t.id != gateway::kOperatorTenant) tenants.push_back(t.id);
    }
    backfill = std::make_unique<knowledge::VectorBackfill>(
        **library, std::move(tenants), [](const knowledge::BackfillProgress& p) {
          if (!p.error.empty()) {
            spdlog::error("lumin: re-embedding tenant {} failed: {}", p.tenant_id, p.error);
          } else {
            spdlog::info("lumin: re-embedding tenant {}: {} of {} chunks{}", p.tenant_id, p.done,
                         p.total, p.finished ? ", done" : "");
          }
        });
  }
  services.session_ttl_seconds = c.session_ttl.count();
  services.sign_in_throttle = rate_limits->sign_in.get();
  auto api = http::ApiServer::Start(c.http, services);
  if (!api.ok()) {
    (*host)->Stop(false);
    return ReportError(api.status());
  }
  std::unique_ptr<server::HttpServer> metrics_listener;
  std::string metrics_note;
  if (c.metrics_port >= 0) {
    server::HttpServerOptions o;
    o.host = c.metrics_host;
    o.port = static_cast<uint16_t>(c.metrics_port);
    o.io_threads = 1;
    o.max_connections = 64;
    auto listener = http::StartMetricsListener(o, **api);
    if (!listener.ok()) {
      (*host)->Stop(false);
      return ReportError(listener.status());
    }
    metrics_listener = std::move(listener).value();
    metrics_note = "; metrics: " + c.metrics_host + ":" + std::to_string(metrics_listener->port());
  }
  std::string names;
  for (const auto& m : c.models) names += (names.empty() ? "" : ", ") + m.name;
  // The one line scripts wait for (port 0 picks a free port).
  std::printf("daulat listening on %s://%s:%u (models: %s; auth: %s%s)\n",
              c.tls_certificate.empty() ? "http" : "https", c.http.host.c_str(), (*api)->port(),
              names.c_str(),
              anonymous == gateway::AnonymousAccess::kLocalClients
                  ? "API keys; anonymous /v1 from local clients"
              : anonymous == gateway::AnonymousAccess::kBehindProxy
                  ? "API keys; anonymous /v1 (a proxy authenticates)"
                  : "API keys",
              metrics_note.c_str());
  std::fflush(stdout);

  std::jthread upkeep;
  if (global.SharedDatabase())
    upkeep = StartClusterUpkeep(**db, *writers_lock, server_lock.cluster, **blobs);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  if (c.drain.count() > 0) {
    // Out of the load balancer's rotation first; a second signal cuts it short.
    spdlog::warn("received {}, draining for {}s (/readyz fails, requests still served)",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT", c.drain.count());
    (*api)->Drain();
    const timespec drain{static_cast<time_t>(c.drain.count()), 0};
    if (const int again = sigtimedwait(&stop_signals, nullptr, &drain); again > 0) sig = again;
  }
  spdlog::warn("received {}, finishing in-flight requests (up to {}s)",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", c.shutdown_grace.count());
  if (backfill) backfill->Stop();  // between batches; the next start goes on from there
  if (metrics_listener) metrics_listener->Shutdown(std::chrono::milliseconds(0));
  (*api)->Shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(c.shutdown_grace),
                   [&host] { (*host)->Stop(/*drain=*/false); });
  (*host)->Stop(/*drain=*/false);
  generation.Drain();  // the last answers' audit records, before the writer stops
  meter->Stop();
  contents->Stop();
  audit_writer.Stop();  // the last records and a final signed checkpoint
  std::printf("daulat stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve the OpenAI-compatible API (and health and metrics endpoints)");
  cmd->add_option("--config", flags->config, "TOML config file (docs/serve.md)")
      ->envname("DAULAT_CONFIG");
  cmd->add_option("--host", flags->host, "Address to listen on (default 127.0.0.1)")
      ->envname("DAULAT_HOST");
  cmd->add_option("--port", flags->port, "Port to listen on (default 8080; 0 = any free port)")
      ->envname("DAULAT_PORT")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--parallel", flags->parallel,
                  "Sequences decoded together per model (overrides the config)");
  cmd->add_option("--context-length", flags->context_length,
                  "KV cache tokens per model, shared by its sequences");
  cmd->add_option("--threads", flags->threads, "CPU threads per model (0 = all)");
  cmd->callback([&global, exit_code, flags] { *exit_code = Serve(global, *flags); });
}

}  // namespace daulat::cli
