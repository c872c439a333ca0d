#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/database.h"
#include "store/listing.h"

namespace daulat::identity {

// What a principal may do. Auditors read audit and usage, never content.
enum class Role { kOwner, kAdmin, kAuditor, kMember, kService };
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view text);

// Requests per minute and tokens per UTC day; 0 = unlimited.
struct Limits {
  int64_t requests_per_minute = 0;
  int64_t tokens_per_day = 0;
};

// Who is calling, once authenticated.
struct Principal {
  std::string tenant_id;
  std::string subject;  // "user:<name>" or "key:<id>"
  Role role = Role::kMember;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> scopes;  // empty: all scopes of the role
  std::vector<std::string> groups;  // document ACL groups the principal belongs to
  Limits key_limits;                // of the key (or session) used
  Limits tenant_limits;
};

struct TenantInfo {
  std::string id, name;
  int64_t created_at = 0;
  Limits limits;
};

struct UserInfo {
  std::string username;
  Role role = Role::kMember;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> groups;
  int64_t created_at = 0;
  bool disabled = false;
};

struct ApiKeyInfo {
  std::string id, prefix, name;
  Role role = Role::kMember;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> scopes;
  std::vector<std::string> groups;
  int64_t created_at = 0;
  std::optional<int64_t> expires_at, revoked_at;
  Limits limits;
};

struct NewSession {
  std::string token;  // "dls_<secret>": given to the client once, stored hashed
  int64_t expires_at = 0;
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
  Limits limits;
  std::vector<std::string> groups;  // document ACL groups
};

// Changes to a user; unset fields stay as they are.
struct UserUpdate {
  std::optional<Role> role;
  std::optional<Classification> clearance;
  std::optional<std::string> password;
  std::optional<bool> disabled;
  std::optional<std::vector<std::string>> groups;
};

// An operator-chosen key must be one nobody can guess: 32 to 512 printable
// characters, at least 8 of them different (a random hex string of 32 has
// 128 bits; a word repeated to length does not pass). INVALID_ARGUMENT with
// how to generate one otherwise.
Status CheckOperatorChosenKey(std::string_view secret);

// Tenants, users (Argon2id passwords) and API keys (only SHA-256 hashes
// stored, looked up by a visible prefix, compared in constant time), on the
// store's database. Thread-safe (the database is).
// Errors: FAILED_PRECONDITION for duplicates, NOT_FOUND for unknown
// tenants/keys, UNAUTHENTICATED for every failed sign-in or key check with
// one message that does not tell which part was wrong.
class IdentityStore {
 public:
  static Result<std::unique_ptr<IdentityStore>> Open(store::Database& db,
                                                     const Clock& clock = SystemClock());

  // Tenant ids are 1-64 of [a-z0-9_-], starting with a letter or digit.
  Status CreateTenant(const std::string& id, const std::string& name);
  Result<std::vector<TenantInfo>> ListTenants();
  // NOT_FOUND for an unknown tenant.
  Result<TenantInfo> GetTenant(const std::string& id);
  Status SetTenantLimits(const std::string& id, Limits limits);

  Status CreateUser(const std::string& tenant_id, const std::string& username,
                    const std::string& password, Role role, Classification clearance);
  // By user name, a page at a time (the cursor is the last name listed).
  Result<store::Page<UserInfo>> ListUsers(const std::string& tenant_id,
                                          const store::PageRequest& page);
  // NOT_FOUND when the user is not in this tenant.
  Result<UserInfo> GetUser(const std::string& tenant_id, const std::string& username);
  // Whether the tenant has a user of that name (for the audit of a failed
  // sign-in only: never to answer a caller).
  Result<bool> UserExists(const std::string& tenant_id, const std::string& username);
  // NOT_FOUND when the user is not in this tenant. Disabling a user ends their sessions.
  Status UpdateUser(const std::string& tenant_id, const std::string& username,
                    const UserUpdate& update);
  Result<Principal> Login(const std::string& tenant_id, const std::string& username,
                          const std::string& password);

  // Console sessions: an expiring bearer token for a signed-in user. The
  // principal is re-read on each use, so role changes and disabling apply at once.
  Result<NewSession> CreateSession(const Principal& user, int64_t ttl_seconds);
  Status EndSession(const std::string& token);

  Result<NewApiKey> CreateApiKey(const std::string& tenant_id, const ApiKeyOptions& options);
  // Registers a secret chosen by the operator (DAULAT_ADMIN_KEY, the static
  // api_key) as a key; idempotent for the same secret and name. Only its
  // SHA-256 is stored, so the secret must be strong on its own
  // (CheckOperatorChosenKey). Returns the key id.
  Result<std::string> ImportApiKey(const std::string& tenant_id, const std::string& secret,
                                   const ApiKeyOptions& options);
  // Newest first, a page at a time (the cursor is a store::TimeCursor).
  Result<store::Page<ApiKeyInfo>> ListApiKeys(const std::string& tenant_id,
                                              const store::PageRequest& page);
  // NOT_FOUND when the key is not in this tenant.
  Result<ApiKeyInfo> GetApiKey(const std::string& tenant_id, const std::string& key_id);
  Status SetApiKeyLimits(const std::string& tenant_id, const std::string& key_id, Limits limits);
  Status RevokeApiKey(const std::string& tenant_id, const std::string& key_id);

  // An API key ("dlt_..." or an imported secret) or a session token ("dls_...").
  Result<Principal> Authenticate(const std::string& secret);

 private:
  IdentityStore(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  Result<Principal> AuthenticateKey(const std::string& secret);
  Result<Principal> AuthenticateSession(const std::string& token);
  Result<Limits> TenantLimits(const std::string& tenant_id);
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace daulat::identity
