#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/model_registry.h"
#include "gateway/generation_service.h"
#include "gateway/model_host.h"
#include "gateway/shared_quota_book.h"
#include "gateway/stages.h"
#include "governance/egress_guard.h"
#include "server/http_server.h"

namespace daulat::cli {

// Everything `daulat serve` needs, from (lowest to highest precedence) the
// built-in defaults, the TOML file, DAULAT_* variables, and flags.
struct ServeConfig {
  server::HttpServerOptions http;
  std::string api_key;                 // [server] api_key / DAULAT_API_KEY
  bool allow_unauthenticated = false;  // anonymous callers beyond loopback (a proxy authenticates)
  bool anonymous_on_loopback = true;   // anonymous TERBUKA members on loopback without api_key
  gateway::AnonymousAccess anonymous = gateway::AnonymousAccess::kNone;  // by FinishServeConfig
  std::chrono::seconds session_ttl{12 * 3600};                           // console sign-in sessions
  // A second address serving only /metrics, without keys (firewall it):
  // [server] metrics_host / metrics_port; -1 = none, /metrics needs a key.
  std::string metrics_host = "127.0.0.1";
  int metrics_port = -1;
  std::chrono::seconds shutdown_grace{30};
  // [server] drain_seconds: after SIGTERM, /readyz fails for this long while
  // requests are still taken, so a load balancer stops sending before the
  // listener closes (0: close at once, as a single server wants).
  std::chrono::seconds drain{0};
  std::string tls_certificate, tls_private_key;
  std::vector<gateway::ModelServeConfig> models;          // empty: every installed model, defaults
  std::vector<governance::RemoteBackendConfig> backends;  // [[backends]]
  // [residency] allowed_jurisdictions: where data may go. Default: Malaysia only.
  std::vector<std::string> allowed_jurisdictions = {"MY"};
  // [assessment] framework: a readiness framework file replacing the built-in
  // one (DAULAT_ASSESSMENT_FRAMEWORK also sets it). Empty: star@1.0.0.
  std::string assessment_framework;
  // [audit] on_failure / DAULAT_AUDIT_ON_FAILURE: "refuse" (default) or "serve".
  gateway::AuditFailure audit_on_failure = gateway::AuditFailure::kRefuse;
  // [defaults] chat / answers / summaries / narratives: the model for each job
  // when a request names none (DAULAT_DEFAULT_MODEL sets all four). Unset
  // jobs get the assistant model when it is served (FinishServeConfig).
  gateway::DefaultModels defaults;
  // [database] url: the record in PostgreSQL (docs/scale.md), when neither
  // --database-url nor DAULAT_DATABASE_URL names one.
  std::string database_url;
  // [database] pool_size: connections to PostgreSQL this server may hold
  // for requests (1-1000; 0 keeps the default, 16), besides its two lock
  // connections. Lower it on many nodes (docs/scale.md, "Limits").
  int database_pool = 0;
  // [quotas] valkey_url / DAULAT_VALKEY_URL: quotas and rate limits counted
  // in Valkey for every node; empty: in this process. on_unavailable /
  // DAULAT_QUOTAS_ON_UNAVAILABLE: "refuse" (default) or "local".
  std::string valkey_url;
  gateway::QuotaOutage quota_outage = gateway::QuotaOutage::kRefuse;
};

// The model scripts/start installs for Lumin's answers, summaries,
// narratives and the console.
inline constexpr char kAssistantModel[] = "qwen2.5-coder-1.5b-instruct";

// "refuse" or "serve"; INVALID_ARGUMENT naming `where` otherwise.
Result<gateway::AuditFailure> ParseAuditFailure(const std::string& text, const std::string& where);

// "refuse" or "local"; INVALID_ARGUMENT naming `where` otherwise.
Result<gateway::QuotaOutage> ParseQuotaOutage(const std::string& text, const std::string& where);

// Parses a TOML config file (see docs/serve.md). Unknown keys and wrong types
// are INVALID_ARGUMENT naming the key, so a typo never silently does nothing.
Result<ServeConfig> LoadServeConfig(const std::string& path);

// Fills in defaults that depend on what is installed, and checks the whole.
Status FinishServeConfig(ServeConfig& config, const engine::ModelRegistry& registry);

}  // namespace daulat::cli
