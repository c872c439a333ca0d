#include "identity/administration.h"

#include <algorithm>

namespace daulat::identity {
namespace {

int Rank(Role r) {
  switch (r) {
    case Role::kOwner: return 2;
    case Role::kAdmin: return 1;
    default: return 0;
  }
}

Status MayGrant(const Principal& actor, std::optional<Role> role,
                std::optional<Classification> clearance) {
  if (role && Rank(*role) > Rank(actor.role))
    return PermissionDenied("the role " + std::string(RoleName(actor.role)) +
                            " cannot grant the role " + std::string(RoleName(*role)));
  if (clearance && *clearance > actor.clearance)
    return PermissionDenied("cannot grant clearance " +
                            std::string(ClassificationName(*clearance)) + " above your own (" +
                            std::string(ClassificationName(actor.clearance)) + ")");
  return Status::Ok();
}

// `what` ("the user x", "the API key y") is above the actor.
Status MayActOn(const Principal& actor, Role role, Classification clearance,
                const std::string& what) {
  if (Rank(role) > Rank(actor.role))
    return PermissionDenied("the role " + std::string(RoleName(actor.role)) + " cannot change " +
                            what + " (" + std::string(RoleName(role)) + ")");
  if (clearance > actor.clearance)
    return PermissionDenied("cannot change " + what + ": cleared " +
                            std::string(ClassificationName(clearance)) + ", above your own (" +
                            std::string(ClassificationName(actor.clearance)) + ")");
  return Status::Ok();
}

// Groups in `wanted` beyond `kept` must be the actor's own (owners: any).
Status MayGrantGroups(const Principal& actor, const std::vector<std::string>& wanted,
                      const std::vector<std::string>& kept) {
  if (actor.role == Role::kOwner) return Status::Ok();
  for (const auto& g : wanted) {
    const auto has = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), g) != v.end();
    };
    if (!has(kept) && !has(actor.groups))
      return PermissionDenied("cannot grant the group '" + g.substr(0, 64) +
                              "': only groups you belong to");
  }
  return Status::Ok();
}

// Every scope the role would hold is covered by the actor's scopes.
Status ScopesCoverRole(const Principal& actor, Role role) {
  for (int i = static_cast<int>(kFirstScoped); i <= static_cast<int>(kLastScoped); ++i) {
    const auto p = static_cast<Permission>(i);
    const std::string scope(PermissionScope(p));
    if (RoleAllows(role, p) && !ScopesCover(actor.scopes, scope))
      return PermissionDenied("the role " + std::string(RoleName(role)) + " holds the scope '" +
                              scope + "', which you lack");
  }
  return Status::Ok();
}

Status MayGrantScopes(const Principal& actor, Role role, const std::vector<std::string>& scopes) {
  const auto& known = KnownScopes();
  for (const auto& s : scopes) {
    if (std::find(known.begin(), known.end(), s) == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      return InvalidArgument("unknown scope '" + s.substr(0, 64) + "' (known: " + names + ")");
    }
  }
  if (scopes.empty()) return ScopesCoverRole(actor, role);
  for (const auto& s : scopes) {
    if (!ScopesCover(actor.scopes, s))
      return PermissionDenied("cannot grant the scope '" + s + "', which you lack");
  }
  return Status::Ok();
}

}  // namespace

Result<UserInfo> Administration::FindUser(const std::string& tenant_id,
                                          const std::string& username) {
  return store_.GetUser(tenant_id, username);
}

Result<ApiKeyInfo> Administration::FindKey(const std::string& tenant_id,
                                           const std::string& key_id) {
  return store_.GetApiKey(tenant_id, key_id);
}

Result<UserInfo> Administration::CreateUser(const Principal& actor, const NewUser& user) {
  DAULAT_RETURN_IF_ERROR(MayGrant(actor, user.role, user.clearance));
  DAULAT_RETURN_IF_ERROR(MayGrantGroups(actor, user.groups, {}));
  DAULAT_RETURN_IF_ERROR(ScopesCoverRole(actor, user.role));
  DAULAT_RETURN_IF_ERROR(
      store_.CreateUser(actor.tenant_id, user.username, user.password, user.role, user.clearance));
  if (!user.groups.empty()) {
    UserUpdate g;
    g.groups = user.groups;
    DAULAT_RETURN_IF_ERROR(store_.UpdateUser(actor.tenant_id, user.username, g));
  }
  return FindUser(actor.tenant_id, user.username);
}

Result<UserInfo> Administration::UpdateUser(const Principal& actor, const std::string& username,
                                            const UserUpdate& update) {
  auto target = FindUser(actor.tenant_id, username);
  if (!target.ok()) return target.status();
  DAULAT_RETURN_IF_ERROR(
      MayActOn(actor, target->role, target->clearance, "the user '" + username + "'"));
  DAULAT_RETURN_IF_ERROR(MayGrant(actor, update.role, update.clearance));
  if (update.groups) DAULAT_RETURN_IF_ERROR(MayGrantGroups(actor, *update.groups, target->groups));
  if (update.role) DAULAT_RETURN_IF_ERROR(ScopesCoverRole(actor, *update.role));
  DAULAT_RETURN_IF_ERROR(store_.UpdateUser(actor.tenant_id, username, update));
  return FindUser(actor.tenant_id, username);
}

Result<CreatedApiKey> Administration::CreateApiKey(const Principal& actor,
                                                   const ApiKeyOptions& options) {
  DAULAT_RETURN_IF_ERROR(MayGrantScopes(actor, options.role, options.scopes));
  DAULAT_RETURN_IF_ERROR(MayGrant(actor, options.role, options.clearance));
  DAULAT_RETURN_IF_ERROR(MayGrantGroups(actor, options.groups, {}));
  auto key = store_.CreateApiKey(actor.tenant_id, options);
  if (!key.ok()) return key.status();
  auto info = FindKey(actor.tenant_id, key->id);
  if (!info.ok()) return info.status();
  return CreatedApiKey{std::move(key).value(), std::move(info).value()};
}

Result<ApiKeyInfo> Administration::SetApiKeyLimits(const Principal& actor,
                                                   const std::string& key_id,
                                                   std::optional<int64_t> requests_per_minute,
                                                   std::optional<int64_t> tokens_per_day) {
  auto target = FindKey(actor.tenant_id, key_id);
  if (!target.ok()) return target.status();
  DAULAT_RETURN_IF_ERROR(MayActOn(actor, target->role, target->clearance, "the API key " + key_id));
  Limits limits = target->limits;
  if (requests_per_minute) limits.requests_per_minute = *requests_per_minute;
  if (tokens_per_day) limits.tokens_per_day = *tokens_per_day;
  DAULAT_RETURN_IF_ERROR(store_.SetApiKeyLimits(actor.tenant_id, key_id, limits));
  return FindKey(actor.tenant_id, key_id);
}

Status Administration::RevokeApiKey(const Principal& actor, const std::string& key_id) {
  auto target = FindKey(actor.tenant_id, key_id);
  if (!target.ok()) return target.status();
  DAULAT_RETURN_IF_ERROR(MayActOn(actor, target->role, target->clearance, "the API key " + key_id));
  return store_.RevokeApiKey(actor.tenant_id, key_id);
}

}  // namespace daulat::identity
