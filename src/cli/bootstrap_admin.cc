#include "cli/bootstrap_admin.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gateway/pipeline.h"

namespace daulat::cli {
namespace {

constexpr const char* kAdminKeyName = "bootstrap admin";
constexpr const char* kStaticKeyName = "static api_key (DAULAT_API_KEY)";

void Audit(governance::AuditWriter& audit, const std::string& action, const std::string& resource,
           const std::string& reason) {
  governance::AuditRecord r;
  r.tenant_id = gateway::kOperatorTenant;
  r.actor = "system";
  r.action = action;
  r.resource = resource;
  r.decision = "allow";
  r.reason = reason;
  audit.Submit(std::move(r));
}

Result<std::string> OperatorAdminKey() {
  if (const char* key = std::getenv("DAULAT_ADMIN_KEY"); key != nullptr && *key != '\0')
    return std::string(key);
  const char* file = std::getenv("DAULAT_ADMIN_KEY_FILE");
  if (file == nullptr || *file == '\0') return std::string();
  std::ifstream in(file);
  if (!in) return InvalidArgument(std::string("DAULAT_ADMIN_KEY_FILE: cannot read ") + file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' '))
    key.pop_back();
  if (key.empty())
    return InvalidArgument(std::string("DAULAT_ADMIN_KEY_FILE: ") + file + " is empty");
  return key;
}

// Registers `secret` under `name` and revokes any other active key of that name.
Status ImportReplacing(identity::IdentityStore& ids, governance::AuditWriter& audit,
                       const std::string& secret, const char* name) {
  identity::ApiKeyOptions o;
  o.name = name;
  o.role = identity::Role::kOwner;
  o.clearance = Classification::kRahsiaBesar;
  auto before = store::AllPages<identity::ApiKeyInfo>(  // the operator tenant holds a handful
      [&](const store::PageRequest& page) {
        return ids.ListApiKeys(gateway::kOperatorTenant, page);
      });
  if (!before.ok()) return before.status();
  auto id = ids.ImportApiKey(gateway::kOperatorTenant, secret, o);
  if (!id.ok()) return Status(id.status().code(), std::string(name) + ": " + id.status().message());
  bool known = false;
  for (const auto& k : *before) {
    if (k.id == *id) known = true;
    if (k.name != name || k.id == *id || k.revoked_at) continue;
    DAULAT_RETURN_IF_ERROR(ids.RevokeApiKey(gateway::kOperatorTenant, k.id));
    Audit(audit, "key_revoked", "key:" + k.id, std::string(name) + " was replaced");
  }
  if (!known) Audit(audit, "key_created", "key:" + *id, std::string(name) + " registered");
  return Status::Ok();
}

}  // namespace

Status BootstrapIdentity(identity::IdentityStore& ids, governance::AuditWriter& audit,
                         const std::string& static_key) {
  auto admin_key = OperatorAdminKey();
  if (!admin_key.ok()) return admin_key.status();
  if (!ids.GetTenant(gateway::kOperatorTenant).ok()) {
    DAULAT_RETURN_IF_ERROR(ids.CreateTenant(gateway::kOperatorTenant, "Operator"));
    Audit(audit, "tenant_created", std::string("tenant:") + gateway::kOperatorTenant,
          "operator tenant created on first start");
    if (admin_key->empty()) {
      identity::ApiKeyOptions o;
      o.name = kAdminKeyName;
      o.role = identity::Role::kOwner;
      o.clearance = Classification::kRahsiaBesar;
      auto key = ids.CreateApiKey(gateway::kOperatorTenant, o);
      if (!key.ok()) return key.status();
      Audit(audit, "key_created", "key:" + key->id, "bootstrap admin key generated");
      std::fprintf(
          stderr,
          "\n  daulat: first start. Bootstrap admin API key (shown once; store it now):\n"
          "    %s\n"
          "  Use it as 'Authorization: Bearer <key>' for /api/v1 (users, keys, policy).\n\n",
          key->secret.c_str());
    }
  }
  if (!admin_key->empty())
    DAULAT_RETURN_IF_ERROR(ImportReplacing(ids, audit, *admin_key, kAdminKeyName));
  if (!static_key.empty())
    DAULAT_RETURN_IF_ERROR(ImportReplacing(ids, audit, static_key, kStaticKeyName));
  return Status::Ok();
}

}  // namespace daulat::cli
