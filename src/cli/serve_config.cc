#include "cli/serve_config.h"

#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <set>

namespace daulat::cli {
namespace {

Status CheckKeys(const toml::table& t, const std::string& where,
                 const std::set<std::string>& allowed) {
  for (const auto& [k, v] : t) {
    if (allowed.count(std::string(k.str())) == 0) {
      return InvalidArgument("unknown setting '" + std::string(k.str()) + "' in " + where);
    }
  }
  return Status::Ok();
}

template <typename T>
Status Read(const toml::table& t, const char* key, const std::string& where, T& out, int64_t lo,
            int64_t hi) {
  const auto* node = t.get(key);
  if (node == nullptr) return Status::Ok();
  const auto v = node->value<int64_t>();
  if (!v || !node->is_integer()) return InvalidArgument(where + "." + key + " must be an integer");
  if (*v < lo || *v > hi) {
    return InvalidArgument(where + "." + key + " must be between " + std::to_string(lo) + " and " +
                           std::to_string(hi));
  }
  out = static_cast<T>(*v);
  return Status::Ok();
}

Status ReadString(const toml::table& t, const char* key, const std::string& where,
                  std::string& out) {
  const auto* node = t.get(key);
  if (node == nullptr) return Status::Ok();
  if (!node->is_string()) return InvalidArgument(where + "." + key + " must be a string");
  out = *node->value<std::string>();
  return Status::Ok();
}

Status ReadBool(const toml::table& t, const char* key, const std::string& where, bool& out) {
  const auto* node = t.get(key);
  if (node == nullptr) return Status::Ok();
  if (!node->is_boolean()) return InvalidArgument(where + "." + key + " must be true or false");
  out = *node->value<bool>();
  return Status::Ok();
}

Status ReadServer(const toml::table& s, ServeConfig& c) {
  const std::string w = "[server]";
  DAULAT_RETURN_IF_ERROR(CheckKeys(s, w,
                                   {"host",
                                    "port",
                                    "api_key",
                                    "allow_unauthenticated",
                                    "io_threads",
                                    "max_header_bytes",
                                    "max_body_bytes",
                                    "max_connections",
                                    "header_timeout_seconds",
                                    "body_timeout_seconds",
                                    "write_timeout_seconds",
                                    "request_timeout_seconds",
                                    "shutdown_grace_seconds",
                                    "tls_certificate",
                                    "tls_private_key",
                                    "anonymous_on_loopback",
                                    "session_ttl_seconds",
                                    "metrics_host",
                                    "metrics_port",
                                    "drain_seconds"}));
  DAULAT_RETURN_IF_ERROR(ReadString(s, "metrics_host", w, c.metrics_host));
  DAULAT_RETURN_IF_ERROR(Read(s, "metrics_port", w, c.metrics_port, 0, 65535));
  DAULAT_RETURN_IF_ERROR(ReadString(s, "host", w, c.http.host));
  DAULAT_RETURN_IF_ERROR(Read(s, "port", w, c.http.port, 0, 65535));
  DAULAT_RETURN_IF_ERROR(ReadString(s, "api_key", w, c.api_key));
  DAULAT_RETURN_IF_ERROR(ReadBool(s, "allow_unauthenticated", w, c.allow_unauthenticated));
  DAULAT_RETURN_IF_ERROR(ReadBool(s, "anonymous_on_loopback", w, c.anonymous_on_loopback));
  int64_t ttl = c.session_ttl.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "session_ttl_seconds", w, ttl, 60, int64_t{30} * 86400));
  c.session_ttl = std::chrono::seconds(ttl);
  DAULAT_RETURN_IF_ERROR(Read(s, "io_threads", w, c.http.io_threads, 1, 64));
  DAULAT_RETURN_IF_ERROR(Read(s, "max_header_bytes", w, c.http.max_header_bytes, 1024, 1 << 20));
  DAULAT_RETURN_IF_ERROR(
      Read(s, "max_body_bytes", w, c.http.max_body_bytes, 1024, int64_t{1} << 30));
  DAULAT_RETURN_IF_ERROR(Read(s, "max_connections", w, c.http.max_connections, 1, 1000000));
  int64_t secs = c.http.header_timeout.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "header_timeout_seconds", w, secs, 1, 3600));
  c.http.header_timeout = std::chrono::seconds(secs);
  secs = c.http.body_timeout.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "body_timeout_seconds", w, secs, 1, 3600));
  c.http.body_timeout = std::chrono::seconds(secs);
  secs = c.http.write_timeout.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "write_timeout_seconds", w, secs, 1, 3600));
  c.http.write_timeout = std::chrono::seconds(secs);
  secs = c.http.request_timeout.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "request_timeout_seconds", w, secs, 0, 86400));
  c.http.request_timeout = std::chrono::seconds(secs);
  secs = c.shutdown_grace.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "shutdown_grace_seconds", w, secs, 0, 3600));
  c.shutdown_grace = std::chrono::seconds(secs);
  secs = c.drain.count();
  DAULAT_RETURN_IF_ERROR(Read(s, "drain_seconds", w, secs, 0, 300));
  c.drain = std::chrono::seconds(secs);
  DAULAT_RETURN_IF_ERROR(ReadString(s, "tls_certificate", w, c.tls_certificate));
  DAULAT_RETURN_IF_ERROR(ReadString(s, "tls_private_key", w, c.tls_private_key));
  return Status::Ok();
}

Status ReadModel(const toml::table& m, size_t i, ServeConfig& c) {
  const std::string w = "[[models]] #" + std::to_string(i + 1);
  DAULAT_RETURN_IF_ERROR(CheckKeys(
      m, w,
      {"name", "parallel", "context_length", "step_tokens", "max_queue", "threads", "embeddings"}));
  gateway::ModelServeConfig mc;
  DAULAT_RETURN_IF_ERROR(ReadString(m, "name", w, mc.name));
  if (mc.name.empty()) return InvalidArgument(w + " needs a name");
  auto& s = mc.scheduler;
  DAULAT_RETURN_IF_ERROR(Read(m, "parallel", w, s.parallel, 1, 256));
  DAULAT_RETURN_IF_ERROR(Read(m, "context_length", w, s.context_length, 64, 1 << 22));
  DAULAT_RETURN_IF_ERROR(Read(m, "step_tokens", w, s.step_tokens, 1, 16384));
  DAULAT_RETURN_IF_ERROR(Read(m, "max_queue", w, s.max_queue, 0, 1000000));
  DAULAT_RETURN_IF_ERROR(Read(m, "threads", w, s.threads, 0, 512));
  DAULAT_RETURN_IF_ERROR(ReadBool(m, "embeddings", w, mc.embeddings));
  if (Status st = s.Validate(); !st.ok()) return InvalidArgument(w + ": " + st.message());
  c.models.push_back(std::move(mc));
  return Status::Ok();
}

Status ReadStrings(const toml::table& t, const char* key, const std::string& where,
                   std::vector<std::string>& out) {
  const auto* node = t.get(key);
  if (node == nullptr) return Status::Ok();
  const auto* arr = node->as_array();
  if (arr == nullptr) return InvalidArgument(where + "." + key + " must be a list of strings");
  out.clear();
  for (const auto& v : *arr) {
    if (!v.is_string()) return InvalidArgument(where + "." + key + " must be a list of strings");
    out.push_back(*v.value<std::string>());
  }
  return Status::Ok();
}

Status ReadBackend(const toml::table& b, size_t i, ServeConfig& c) {
  const std::string w = "[[backends]] #" + std::to_string(i + 1);
  DAULAT_RETURN_IF_ERROR(CheckKeys(b, w,
                                   {"name", "url", "jurisdiction", "max_classification", "models",
                                    "api_key_env", "timeout_seconds", "addresses", "ca_file"}));
  governance::RemoteBackendConfig r;
  DAULAT_RETURN_IF_ERROR(ReadString(b, "name", w, r.name));
  DAULAT_RETURN_IF_ERROR(ReadString(b, "url", w, r.url));
  DAULAT_RETURN_IF_ERROR(ReadString(b, "jurisdiction", w, r.jurisdiction));
  std::string level;
  DAULAT_RETURN_IF_ERROR(ReadString(b, "max_classification", w, level));
  DAULAT_RETURN_IF_ERROR(ReadStrings(b, "models", w, r.models));
  DAULAT_RETURN_IF_ERROR(ReadString(b, "api_key_env", w, r.api_key_env));
  DAULAT_RETURN_IF_ERROR(Read(b, "timeout_seconds", w, r.timeout_seconds, 1, 3600));
  DAULAT_RETURN_IF_ERROR(ReadStrings(b, "addresses", w, r.addresses));
  DAULAT_RETURN_IF_ERROR(ReadString(b, "ca_file", w, r.ca_file));
  if (r.name.empty() || r.name == "local" || r.name == "*")
    return InvalidArgument(w + " needs a name (not 'local' or '*')");
  if (auto e = governance::ParseBackendUrl(r.url); !e.ok())
    return InvalidArgument(w + ": " + e.status().message());
  if (Status st = governance::CheckBackendAddresses(r); !st.ok())
    return InvalidArgument(w + ": " + st.message());
  if (!r.ca_file.empty() && !std::filesystem::is_regular_file(r.ca_file))
    return InvalidArgument(w + ".ca_file " + r.ca_file + " is not a readable file");
  if (!r.ca_file.empty() && !governance::ParseBackendUrl(r.url)->tls)
    return InvalidArgument(w + ".ca_file is for an https url");
  if (r.jurisdiction.size() != 2 || !std::isupper(static_cast<unsigned char>(r.jurisdiction[0])) ||
      !std::isupper(static_cast<unsigned char>(r.jurisdiction[1])))
    return InvalidArgument(w + ".jurisdiction must be a two-letter country code such as \"MY\"");
  if (!level.empty()) {
    const auto parsed = ParseClassification(level);
    if (!parsed) return InvalidArgument(w + ".max_classification is not a classification level");
    r.max_classification = *parsed;
  }
  if (r.models.empty()) return InvalidArgument(w + ".models must name at least one model");
  for (const auto& other : c.backends) {
    if (other.name == r.name)
      return InvalidArgument(w + ": the name '" + r.name + "' is used twice");
  }
  c.backends.push_back(std::move(r));
  return Status::Ok();
}

}  // namespace

Result<gateway::QuotaOutage> ParseQuotaOutage(const std::string& text, const std::string& where) {
  if (text == "refuse") return gateway::QuotaOutage::kRefuse;
  if (text == "local") return gateway::QuotaOutage::kLocal;
  return InvalidArgument(where + " must be \"refuse\" or \"local\"");
}

Result<ServeConfig> LoadServeConfig(const std::string& path) {
  ServeConfig c;
  if (path.empty()) return c;
  if (!std::filesystem::exists(path)) return NotFound("config file " + path + " does not exist");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  DAULAT_RETURN_IF_ERROR(CheckKeys(root, path,
                                   {"server", "models", "backends", "residency", "assessment",
                                    "audit", "defaults", "database", "quotas"}));
  if (const auto* defaults = root.get("defaults")) {
    if (!defaults->is_table()) return InvalidArgument("[defaults] must be a table");
    DAULAT_RETURN_IF_ERROR(CheckKeys(*defaults->as_table(), "[defaults]",
                                     {"chat", "answers", "summaries", "narratives"}));
    for (auto [key, out] : {std::pair{"chat", &c.defaults.chat},
                            {"answers", &c.defaults.answers},
                            {"summaries", &c.defaults.summaries},
                            {"narratives", &c.defaults.narratives}}) {
      const auto* v = defaults->as_table()->get(key);
      if (v == nullptr) continue;
      if (!v->is_string() || v->as_string()->get().empty())
        return InvalidArgument(std::string("[defaults] ") + key + " must be a model name");
      *out = v->as_string()->get();
    }
  }
  if (const auto* audit = root.get("audit")) {
    if (!audit->is_table()) return InvalidArgument("[audit] must be a table");
    DAULAT_RETURN_IF_ERROR(CheckKeys(*audit->as_table(), "[audit]", {"on_failure"}));
    if (const auto* mode = audit->as_table()->get("on_failure")) {
      if (!mode->is_string())
        return InvalidArgument("[audit] on_failure must be \"refuse\" or \"serve\"");
      auto parsed = ParseAuditFailure(mode->as_string()->get(), "[audit] on_failure");
      if (!parsed.ok()) return parsed.status();
      c.audit_on_failure = *parsed;
    }
  }
  if (const auto* database = root.get("database")) {
    if (!database->is_table()) return InvalidArgument("[database] must be a table");
    DAULAT_RETURN_IF_ERROR(CheckKeys(*database->as_table(), "[database]", {"url", "pool_size"}));
    DAULAT_RETURN_IF_ERROR(ReadString(*database->as_table(), "url", "[database]", c.database_url));
    DAULAT_RETURN_IF_ERROR(
        Read(*database->as_table(), "pool_size", "[database]", c.database_pool, 1, 1000));
  }
  if (const auto* quotas = root.get("quotas")) {
    if (!quotas->is_table()) return InvalidArgument("[quotas] must be a table");
    const auto& q = *quotas->as_table();
    DAULAT_RETURN_IF_ERROR(CheckKeys(q, "[quotas]", {"valkey_url", "on_unavailable"}));
    DAULAT_RETURN_IF_ERROR(ReadString(q, "valkey_url", "[quotas]", c.valkey_url));
    std::string outage;
    DAULAT_RETURN_IF_ERROR(ReadString(q, "on_unavailable", "[quotas]", outage));
    if (!outage.empty()) {
      auto parsed = ParseQuotaOutage(outage, "[quotas] on_unavailable");
      if (!parsed.ok()) return parsed.status();
      c.quota_outage = *parsed;
    }
  }
  if (const auto* assessment = root.get("assessment")) {
    if (!assessment->is_table()) return InvalidArgument("[assessment] must be a table");
    DAULAT_RETURN_IF_ERROR(CheckKeys(*assessment->as_table(), "[assessment]", {"framework"}));
    if (const auto* fw = assessment->as_table()->get("framework")) {
      if (!fw->is_string() || fw->as_string()->get().empty())
        return InvalidArgument("[assessment] framework must be the path of a framework file");
      c.assessment_framework = fw->as_string()->get();
    }
  }
  if (const auto* backends = root.get("backends")) {
    if (!backends->is_array_of_tables())
      return InvalidArgument("backends must be a list of [[backends]] tables");
    const auto& arr = *backends->as_array();
    for (size_t i = 0; i < arr.size(); ++i)
      DAULAT_RETURN_IF_ERROR(ReadBackend(*arr[i].as_table(), i, c));
  }
  if (const auto* residency = root.get("residency")) {
    if (!residency->is_table()) return InvalidArgument("[residency] must be a table");
    DAULAT_RETURN_IF_ERROR(
        CheckKeys(*residency->as_table(), "[residency]", {"allowed_jurisdictions"}));
    DAULAT_RETURN_IF_ERROR(ReadStrings(*residency->as_table(), "allowed_jurisdictions",
                                       "[residency]", c.allowed_jurisdictions));
  }
  if (const auto* server = root.get("server")) {
    if (!server->is_table()) return InvalidArgument("[server] must be a table");
    DAULAT_RETURN_IF_ERROR(ReadServer(*server->as_table(), c));
  }
  if (const auto* models = root.get("models")) {
    if (!models->is_array_of_tables())
      return InvalidArgument("models must be a list of [[models]] tables");
    const auto& arr = *models->as_array();
    for (size_t i = 0; i < arr.size(); ++i)
      DAULAT_RETURN_IF_ERROR(ReadModel(*arr[i].as_table(), i, c));
  }
  return c;
}

Result<gateway::AuditFailure> ParseAuditFailure(const std::string& text, const std::string& where) {
  if (text == "refuse") return gateway::AuditFailure::kRefuse;
  if (text == "serve") return gateway::AuditFailure::kServe;
  return InvalidArgument(where + " must be \"refuse\" or \"serve\", not \"" + text.substr(0, 40) +
                         "\"");
}

namespace {

// Every named default must be served, here or by a backend; unset jobs get
// the assistant model when it is served.
Status FinishDefaultModels(ServeConfig& c) {
  const auto served = [&c](const std::string& name) {
    for (const auto& m : c.models) {
      if (m.name == name) return true;
    }
    for (const auto& b : c.backends) {
      for (const auto& m : b.models) {
        if (m == name) return true;
      }
    }
    return false;
  };
  for (auto [job, name] : {std::pair{"chat", &c.defaults.chat},
                           {"answers", &c.defaults.answers},
                           {"summaries", &c.defaults.summaries},
                           {"narratives", &c.defaults.narratives}}) {
    if (name->empty() && served(kAssistantModel)) *name = kAssistantModel;
    if (!name->empty() && !served(*name))
      return InvalidArgument(std::string("[defaults] ") + job + ": the model '" + *name +
                             "' is not served");
  }
  return Status::Ok();
}

}  // namespace

Status FinishServeConfig(ServeConfig& c, const engine::ModelRegistry& registry) {
  DAULAT_RETURN_IF_ERROR(c.http.Validate());
  c.http.tls_certificate_file = c.tls_certificate;
  c.http.tls_private_key_file = c.tls_private_key;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(c.http.host, ec);
  if (ec) return InvalidArgument("host '" + c.http.host + "' is not an IP address");
  // Anonymous callers: only with no static key, and only on loopback (unless
  // something in front authenticates). Everywhere else every request needs a key.
  c.anonymous = !c.api_key.empty()        ? gateway::AnonymousAccess::kNone
                : c.allow_unauthenticated ? gateway::AnonymousAccess::kBehindProxy
                : address.is_loopback() && c.anonymous_on_loopback
                    ? gateway::AnonymousAccess::kLocalClients
                    : gateway::AnonymousAccess::kNone;
  if (c.models.empty()) {
    const auto listing = registry.List();
    if (listing.models.empty()) {
      return FailedPrecondition("no models installed in " + registry.dir().string() +
                                " (run scripts/bootstrap)");
    }
    for (const auto& m : listing.models) c.models.push_back({m.manifest.name, {}, true});
  }
  DAULAT_RETURN_IF_ERROR(FinishDefaultModels(c));
  for (const auto& b : c.backends) {
    for (const auto& name : b.models) {
      for (const auto& m : c.models) {
        if (m.name == name)
          return InvalidArgument("model '" + name + "' is both local and on backend '" + b.name +
                                 "'");
      }
    }
  }
  return Status::Ok();
}

}  // namespace daulat::cli
