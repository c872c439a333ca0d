#include "identity/identity_json.h"

namespace daulat::identity {

using nlohmann::json;

json ToJson(const TenantInfo& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"created_at", t.created_at},
          {"requests_per_minute", t.limits.requests_per_minute},
          {"tokens_per_day", t.limits.tokens_per_day}};
}

json ToJson(const UserInfo& u) {
  return {{"username", u.username},
          {"role", RoleName(u.role)},
          {"clearance", ClassificationName(u.clearance)},
          {"groups", u.groups},
          {"created_at", u.created_at},
          {"disabled", u.disabled}};
}

json ToJson(const ApiKeyInfo& k) {
  return {{"id", k.id},
          {"prefix", k.prefix},
          {"name", k.name},
          {"role", RoleName(k.role)},
          {"clearance", ClassificationName(k.clearance)},
          {"scopes", k.scopes},
          {"groups", k.groups},
          {"created_at", k.created_at},
          {"expires_at", k.expires_at ? json(*k.expires_at) : json(nullptr)},
          {"revoked", k.revoked_at.has_value()},
          {"revoked_at", k.revoked_at ? json(*k.revoked_at) : json(nullptr)},
          {"requests_per_minute", k.limits.requests_per_minute},
          {"tokens_per_day", k.limits.tokens_per_day}};
}

}  // namespace daulat::identity
