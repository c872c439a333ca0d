#pragma once

#include <string>
#include <vector>

#include "identity/access.h"
#include "identity/identity_store.h"

namespace daulat::identity {

struct NewUser {
  std::string username;
  std::string password;
  Role role = Role::kMember;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> groups;  // document ACL groups
};

struct CreatedApiKey {
  NewApiKey key;  // the secret, shown once
  ApiKeyInfo info;
};

// Changes an actor (a signed-in admin or an admin key) makes to the people
// and keys of its own tenant. The rules hold on every path that calls it,
// so no admin can reach above itself:
// - it grants no role above its own rank (owner > admin > the rest) and no
//   clearance above its own;
// - it acts on no user or key above its own rank or clearance (password,
//   groups, role, clearance, disabling, quotas, revoking);
// - it grants ACL groups only from its own, unless it is an owner (groups a
//   user already has may stay);
// - what it grants is covered by its own scopes: a new key's scopes, and
//   every scope of a new or changed role.
// PERMISSION_DENIED names the rule; NOT_FOUND for a user or key not in the
// actor's tenant; INVALID_ARGUMENT for unknown scopes.
class Administration {
 public:
  explicit Administration(IdentityStore& store) : store_(store) {}

  Result<UserInfo> CreateUser(const Principal& actor, const NewUser& user);
  Result<UserInfo> UpdateUser(const Principal& actor, const std::string& username,
                              const UserUpdate& update);
  Result<CreatedApiKey> CreateApiKey(const Principal& actor, const ApiKeyOptions& options);
  // Changes the quotas given; the others stay as they are (0 = unlimited).
  Result<ApiKeyInfo> SetApiKeyLimits(const Principal& actor, const std::string& key_id,
                                     std::optional<int64_t> requests_per_minute,
                                     std::optional<int64_t> tokens_per_day);
  Status RevokeApiKey(const Principal& actor, const std::string& key_id);

 private:
  Result<UserInfo> FindUser(const std::string& tenant_id, const std::string& username);
  Result<ApiKeyInfo> FindKey(const std::string& tenant_id, const std::string& key_id);

  IdentityStore& store_;
};

}  // namespace daulat::identity
