#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "assessment/assessments.h"
#include "gateway/generation_service.h"
#include "gateway/model_host.h"
#include "gateway/pipeline.h"
#include "gateway/remote_backends.h"
#include "gateway/usage_meter.h"
#include "governance/audit_log.h"
#include "governance/audit_writer.h"
#include "governance/pii_filter.h"
#include "governance/policy.h"
#include "governance/query_fingerprint.h"
#include "http/api_call.h"
#include "http/metrics.h"
#include "identity/identity_store.h"
#include "identity/sign_in_throttle.h"
#include "knowledge/conversations.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"
#include "server/http_server.h"

namespace daulat::http {

// What the API serves from. The management API (/api/v1) is on when the
// identity store is given; every pointer given must outlive the server.
struct ApiServices {
  gateway::ModelHost* models = nullptr;
  const gateway::Pipeline* pipeline = nullptr;
  // Every model call; null: one with the built-in policy and no quotas.
  gateway::GenerationService* generation = nullptr;
  identity::IdentityStore* identity = nullptr;
  governance::PolicyStore* policies = nullptr;
  governance::AuditLog* audit = nullptr;
  governance::AuditWriter* audit_writer = nullptr;  // flushed before audit reads
  // Keyed hashes of search queries for the audit log; none: not recorded.
  const governance::QueryFingerprints* query_fingerprints = nullptr;
  gateway::UsageMeter* usage = nullptr;
  store::Database* db = nullptr;
  const gateway::RemoteBackends* remote = nullptr;    // models served by remote engines
  knowledge::Library* library = nullptr;              // Lumin: collections, documents, search
  knowledge::IngestionJobs* jobs = nullptr;           // Lumin: background upload jobs
  knowledge::Conversations* conversations = nullptr;  // Lumin: ask with context
  assessment::Assessments* assessments = nullptr;     // STAR readiness assessments
  const assessment::Framework* framework = nullptr;   // null: the built-in one
  int64_t session_ttl_seconds = int64_t{12} * 3600;
  // Slows and locks repeated failed sign-ins; none: not throttled.
  identity::SignInThrottle* sign_in_throttle = nullptr;
};

class ManagementApi;
class KnowledgeApi;
class AssessmentApi;

// daulat's HTTP face: the OpenAI-compatible API under /v1, the management
// API under /api/v1 (described at /api/openapi.json), and /healthz, /readyz,
// /metrics. Thin by design: each handler parses, runs the gateway pipeline,
// calls one service and serialises.
class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> Start(const HttpServerOptions& options,
                                                  const ApiServices& services);
  static Result<std::unique_ptr<ApiServer>> Start(const HttpServerOptions& options,
                                                  gateway::ModelHost& models,
                                                  const gateway::Pipeline& pipeline);
  ~ApiServer();
  uint16_t port() const { return http_->port(); }
  // "GET /v1/models", ... for every routed endpoint (the OpenAPI document must list each).
  std::vector<std::string> Endpoints() const;
  // Prometheus text: per-route requests and latencies, and each model's
  // queue, sequences, KV cells and tokens. Server-wide: only for the
  // operator (GET /metrics with the "metrics" scope) or a separate listener.
  std::string Metrics() const;

  // The start of a graceful stop behind a load balancer: /readyz turns 503
  // while requests are still served, so the balancer stops sending first.
  void Drain() { ready_ = false; }
  // Graceful stop: /readyz turns 503, no new connections; running requests
  // get up to `grace` to finish (streams included). Then `cancel_work` runs
  // (stop the schedulers without draining): cancelled streams end with an
  // error event and [DONE], whole responses with a 503.
  void Shutdown(std::chrono::milliseconds grace,
                const std::function<void()>& cancel_work = nullptr);

 private:
  explicit ApiServer(const ApiServices& services);
  using Call = ApiCall;
  void Handle(Request& req, std::shared_ptr<Responder> responder);
  // The generation for a /v1 request at its declared level, or null after
  // answering the error (bad level, unknown model, policy, quota).
  std::shared_ptr<gateway::Generation> BeginInference(Call& call, const std::string& model);
  void Chat(const std::shared_ptr<Call>& call);
  void Completions(const std::shared_ptr<Call>& call);
  void Embeddings(const std::shared_ptr<Call>& call);
  void Models(const std::shared_ptr<Call>& call);
  // The registry for people: each model's manifest, model card and where it runs.
  void ModelRegistry(const std::shared_ptr<Call>& call);
  void BuildRoutes();

  ApiServices services_;
  gateway::ModelHost& models_;
  const gateway::Pipeline& pipeline_;
  std::unique_ptr<gateway::GenerationService> own_generation_;  // when none was given
  gateway::GenerationService* generation_ = nullptr;
  std::unique_ptr<ManagementApi> management_;
  std::unique_ptr<KnowledgeApi> knowledge_;
  std::unique_ptr<AssessmentApi> assessment_;
  std::vector<ApiRoute> routes_;
  RequestMetrics metrics_;
  std::atomic<bool> ready_{false};        // false from Drain or Shutdown on
  boost::asio::thread_pool blocking_{1};  // embeddings: keeps I/O threads free
  std::unique_ptr<HttpServer> http_;
};

// A second address that serves only GET /metrics (and /healthz), without
// keys, for a Prometheus that cannot hold one: the operator keeps it on a
// management network or behind a firewall. `api` must outlive it.
Result<std::unique_ptr<HttpServer>> StartMetricsListener(const HttpServerOptions& options,
                                                         const ApiServer& api);

}  // namespace daulat::http
