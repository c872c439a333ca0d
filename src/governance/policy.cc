#include "governance/policy.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace daulat::governance {
namespace {

using nlohmann::json;

const std::vector<store::Migration> kMigrations = {
    {1, "versioned tenant policies",
     "CREATE TABLE policies (tenant_id TEXT NOT NULL, version INTEGER NOT NULL, document TEXT NOT "
     "NULL, updated_by TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, "
     "version));"},
};

constexpr Classification kLevels[] = {Classification::kTerbuka, Classification::kTerhad,
                                      Classification::kSulit, Classification::kRahsia,
                                      Classification::kRahsiaBesar};

Result<PiiMode> ParsePiiMode(const json& v, const std::string& field) {
  if (v.is_string()) {
    for (PiiMode m : {PiiMode::kAllow, PiiMode::kMask, PiiMode::kBlock}) {
      if (v.get<std::string>() == PiiModeName(m)) return m;
    }
  }
  return InvalidArgument(field + " must be \"allow\", \"mask\" or \"block\"");
}

Result<ContentLogging> ParseLogging(const json& v, const std::string& field) {
  if (v.is_string()) {
    for (ContentLogging c :
         {ContentLogging::kFull, ContentLogging::kHashes, ContentLogging::kNone}) {
      if (v.get<std::string>() == ContentLoggingName(c)) return c;
    }
  }
  return InvalidArgument(field + " must be \"full\", \"hashes\" or \"none\"");
}

Result<std::vector<std::string>> ParseNames(const json& v, const std::string& field) {
  if (!v.is_array()) return InvalidArgument(field + " must be an array of names");
  std::vector<std::string> out;
  for (const auto& n : v) {
    if (!n.is_string() || n.get<std::string>().empty() || n.get<std::string>().size() > 128)
      return InvalidArgument(field + " must hold names of 1-128 characters");
    out.push_back(n.get<std::string>());
  }
  return out;
}

Result<LevelRules> ParseLevel(const json& j, const std::string& prefix) {
  if (!j.is_object()) return InvalidArgument(prefix + " must be an object");
  LevelRules r;
  r.models.clear();
  r.backends = {"local"};
  for (const auto& [key, v] : j.items()) {
    const std::string field = prefix + "." + key;
    if (key == "models") {
      auto n = ParseNames(v, field);
      if (!n.ok()) return n.status();
      r.models = std::move(n).value();
    } else if (key == "backends") {
      auto n = ParseNames(v, field);
      if (!n.ok()) return n.status();
      r.backends = std::move(n).value();
    } else if (key == "pii_prompt" || key == "pii_output") {
      auto m = ParsePiiMode(v, field);
      if (!m.ok()) return m.status();
      (key == "pii_prompt" ? r.pii_prompt : r.pii_output) = *m;
    } else if (key == "content_logging") {
      auto c = ParseLogging(v, field);
      if (!c.ok()) return c.status();
      r.content_logging = *c;
    } else if (key == "retention_days") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 36500)
        return InvalidArgument(field + " must be a whole number of days from 1 to 36500");
      r.retention_days = v.get<int64_t>();
    } else {
      return InvalidArgument(
          "unknown policy field " + field +
          " (known: models, backends, pii_prompt, pii_output, content_logging, retention_days)");
    }
  }
  return r;
}

bool Lists(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), "*") != names.end() ||
         std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string_view PiiModeName(PiiMode m) {
  switch (m) {
    case PiiMode::kAllow: return "allow";
    case PiiMode::kMask: return "mask";
    case PiiMode::kBlock: return "block";
  }
  return "block";
}

std::string_view ContentLoggingName(ContentLogging c) {
  switch (c) {
    case ContentLogging::kFull: return "full";
    case ContentLogging::kHashes: return "hashes";
    case ContentLogging::kNone: return "none";
  }
  return "none";
}

Policy DefaultPolicy() {
  Policy p;
  for (Classification c : kLevels) {
    LevelRules& r = p.levels.at(static_cast<size_t>(c));
    r.models = {"*"};
    r.backends = c == Classification::kTerbuka ? std::vector<std::string>{"*"}
                                               : std::vector<std::string>{"local"};
    r.pii_prompt = PiiMode::kMask;
    r.pii_output = c == Classification::kTerbuka ? PiiMode::kAllow : PiiMode::kMask;
    r.content_logging = ContentLogging::kHashes;
    r.retention_days = 365;
  }
  return p;
}

Result<Policy> ParsePolicy(const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("the policy is not valid JSON");
  if (!j.is_object()) return InvalidArgument("a policy is a JSON object with \"levels\"");
  for (const auto& [key, v] : j.items()) {
    // version and updated_* are read-only: accepted (and ignored) so a
    // document read from GET /api/v1/policy can be edited and put back.
    if (key != "levels" && key != "version" && key != "updated_by" && key != "updated_at")
      return InvalidArgument("unknown policy field " + key + " (known: levels)");
  }
  if (!j.contains("levels") || !j["levels"].is_object())
    return InvalidArgument("levels must be an object keyed by classification level");
  Policy p;
  // A level the document leaves out allows nothing: a policy fails closed.
  for (auto& r : p.levels) {
    r.models.clear();
    r.backends.clear();
    r.pii_prompt = PiiMode::kBlock;
    r.pii_output = PiiMode::kBlock;
    r.content_logging = ContentLogging::kNone;
  }
  std::array<bool, 5> seen{};
  for (const auto& [key, v] : j["levels"].items()) {
    const auto level = ParseClassification(key);
    if (!level)
      return InvalidArgument("levels." + key +
                             " is not a classification level (TERBUKA, TERHAD, SULIT, RAHSIA, "
                             "RAHSIA BESAR or their English names)");
    const auto i = static_cast<size_t>(*level);
    if (seen.at(i)) return InvalidArgument("levels." + key + " is given twice");
    seen.at(i) = true;
    auto rules = ParseLevel(v, "levels." + key);
    if (!rules.ok()) return rules.status();
    p.levels.at(i) = std::move(rules).value();
  }
  return p;
}

std::string PolicyToJson(const Policy& p) {
  json levels = json::object();
  for (Classification c : kLevels) {
    const LevelRules& r = p.at(c);
    levels[std::string(ClassificationName(c))] = {
        {"models", r.models},
        {"backends", r.backends},
        {"pii_prompt", PiiModeName(r.pii_prompt)},
        {"pii_output", PiiModeName(r.pii_output)},
        {"content_logging", ContentLoggingName(r.content_logging)},
        {"retention_days", r.retention_days}};
  }
  return json{{"version", p.version},
              {"updated_by", p.updated_by},
              {"updated_at", p.updated_at},
              {"levels", levels}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PolicyDecision DecideModel(const Policy& policy, Classification level, const std::string& model,
                           Classification model_max, const std::string& backend,
                           Classification backend_max) {
  const std::string lvl(ClassificationName(level));
  const std::string v = "policy v" + std::to_string(policy.version);
  const LevelRules& r = policy.at(level);
  if (!Lists(r.models, model))
    return {false, v + " does not allow the model '" + model + "' for " + lvl + " requests"};
  if (!Lists(r.backends, backend))
    return {false, v + " does not allow the backend '" + backend + "' for " + lvl + " requests"};
  if (model_max < level)
    return {false, "the model '" + model + "' may process at most " +
                       std::string(ClassificationName(model_max)) + ", not " + lvl};
  if (backend_max < level)
    return {false, "the backend '" + backend + "' may process at most " +
                       std::string(ClassificationName(backend_max)) + ", not " + lvl};
  return {true, v + " allows '" + model + "' on " + backend + " for " + lvl};
}

Result<std::unique_ptr<PolicyStore>> PolicyStore::Open(store::Database& db, const Clock& clock) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("policy", kMigrations));
  return std::unique_ptr<PolicyStore>(new PolicyStore(db, clock));
}

Result<Policy> PolicyStore::Current(const std::string& tenant_id) {
  const int64_t now = clock_.Seconds();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(tenant_id);
    if (it != cache_.end() && it->second.loaded_at == now) return it->second.policy;
  }
  store::TenantScope scope(db_, tenant_id);
  auto rows = scope.Select("policies", {"version", "document", "updated_by", "updated_at"}, "", {},
                           "version DESC", 1);
  if (!rows.ok()) return rows.status();
  Policy p = DefaultPolicy();
  if (!rows->empty()) {
    const auto& row = (*rows)[0];
    auto parsed = ParsePolicy(row.Text(1));
    if (!parsed.ok())
      return DataLoss("stored policy v" + row.Text(0) +
                      " does not parse: " + parsed.status().message());
    p = std::move(parsed).value();
    p.version = row.Int(0);
    p.updated_by = row.Text(2);
    p.updated_at = row.Int(3);
  }
  std::lock_guard lock(mu_);
  cache_[tenant_id] = {p, now};
  return p;
}

Result<Policy> PolicyStore::Put(const std::string& tenant_id, const std::string& json_text,
                                const std::string& actor) {
  if (json_text.size() > size_t{256} * 1024) return InvalidArgument("a policy is at most 256 KiB");
  auto parsed = ParsePolicy(json_text);
  if (!parsed.ok()) return parsed.status();
  Policy p = std::move(parsed).value();
  auto tx = db_.Begin();
  if (!tx.ok()) return tx.status();
  store::TenantScope scope(**tx, tenant_id);
  auto rows = scope.Select("policies", {"MAX(version)"});
  if (!rows.ok()) return rows.status();
  p.version = (rows->empty() ? 0 : (*rows)[0].Int(0)) + 1;
  p.updated_by = actor;
  p.updated_at = clock_.Seconds();
  DAULAT_RETURN_IF_ERROR(scope.Insert("policies",
                                      {"version", "document", "updated_by", "updated_at"},
                                      {p.version, PolicyToJson(p), p.updated_by, p.updated_at}));
  DAULAT_RETURN_IF_ERROR((*tx)->Commit());
  std::lock_guard lock(mu_);
  cache_.erase(tenant_id);
  return p;
}

Result<std::vector<Policy>> PolicyStore::History(const std::string& tenant_id) {
  store::TenantScope scope(db_, tenant_id);
  auto rows = scope.Select("policies", {"version", "document", "updated_by", "updated_at"}, "", {},
                           "version");
  if (!rows.ok()) return rows.status();
  std::vector<Policy> out;
  for (const auto& row : *rows) {
    auto parsed = ParsePolicy(row.Text(1));
    if (!parsed.ok()) return DataLoss("stored policy v" + row.Text(0) + " does not parse");
    Policy p = std::move(parsed).value();
    p.version = row.Int(0);
    p.updated_by = row.Text(2);
    p.updated_at = row.Int(3);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace daulat::governance
