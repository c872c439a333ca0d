#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "store/database.h"

namespace daulat::identity {

// What a principal may do. Auditors read audit and usage, never content.
enum class Role { kOwner, kAdmin, kAuditor, kMember, kService };
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view text);

// Who is calling, once authenticated.
struct Principal {
  std::string tenant_id;
  std::string subject;  // "user:<id>" or "key:<id>"
  Role role = Role::kMember;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> scopes;  // empty: all scopes of the role
};

struct NewApiKey {
  std::string id;      // stable, shown in lists and audit records
  std::string secret;  // "dlt_<prefix>_<secret>": shown once, never stored
  std::string prefix;  // visible part, for recognising a key
};

struct ApiKeyOptions {
  std::string name;
  Role role = Role::kMember;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> scopes;
  std::optional<int64_t> expires_at;  // unix seconds
};

// Tenants, users (Argon2id passwords) and API keys (only SHA-256 hashes
// stored, looked up by a visible prefix, compared in constant time), on the
// store's database. Thread-safe (the database is).
// Errors: FAILED_PRECONDITION for duplicates, NOT_FOUND for unknown
// tenants/keys, UNAUTHENTICATED for every failed sign-in or key check with
// one message that does not tell which part was wrong.
class IdentityStore {
 public:
  using Clock = std::function<int64_t()>;  // unix seconds; injected for expiry tests
  static Result<std::unique_ptr<IdentityStore>> Open(store::Database& db, Clock clock = nullptr);

  Status CreateTenant(const std::string& id, const std::string& name);
  Status CreateUser(const std::string& tenant_id, const std::string& username,
                    const std::string& password, Role role, Classification clearance);
  Result<Principal> Login(const std::string& tenant_id, const std::string& username,
                          const std::string& password);

  Result<NewApiKey> CreateApiKey(const std::string& tenant_id, const ApiKeyOptions& options);
  Result<Principal> Authenticate(const std::string& secret);
  Status RevokeApiKey(const std::string& tenant_id, const std::string& key_id);

 private:
  IdentityStore(store::Database& db, Clock clock) : db_(db), clock_(std::move(clock)) {}
  store::Database& db_;
  Clock clock_;
};

}  // namespace daulat::identity
