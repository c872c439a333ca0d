#include "identity/identity_store.h"

#include <sodium.h>

#include <chrono>
#include <cstring>

#include "common/clock.h"
#include "common/sha256.h"
#include "identity/identity_internal.h"

namespace daulat::identity {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1, "tenants, users and API keys",
     "CREATE TABLE tenants (tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT "
     "NULL);"
     "CREATE TABLE users (tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id), username TEXT "
     "NOT NULL, "
     "password_hash TEXT NOT NULL, role TEXT NOT NULL, clearance TEXT NOT NULL, created_at INTEGER "
     "NOT NULL, "
     "PRIMARY KEY (tenant_id, username));"
     "CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants "
     "(tenant_id), "
     "prefix TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT "
     "NULL, "
     "clearance TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at "
     "INTEGER, "
     "revoked_at INTEGER);"},
    {2, "quotas, sessions, disabled users, key lookup by hash",
     "ALTER TABLE tenants ADD COLUMN requests_per_minute INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE tenants ADD COLUMN tokens_per_day INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE api_keys ADD COLUMN tokens_per_day INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE users ADD COLUMN disabled_at INTEGER;"
     "CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (secret_hash);"
     "CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES "
     "tenants (tenant_id), username TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at "
     "INTEGER NOT NULL);"},
    {3, "document ACL groups of users and keys",
     "ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE api_keys ADD COLUMN groups TEXT NOT NULL DEFAULT '';"},
};

using internal::kBadCredentials;

bool IsTenantId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '-' || id[0] == '_') return false;
  for (const char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

Limits LimitsFrom(const store::Row& row, size_t i) {
  return Limits{row.Int(i), row.Int(i + 1)};
}

Result<std::string> HashPassword(const std::string& password) {
  if (password.size() < 12) return InvalidArgument("a password needs at least 12 characters");
  if (password.size() > 1024) return InvalidArgument("a password is at most 1024 characters");
  std::string hash(crypto_pwhash_STRBYTES, '\0');
  if (crypto_pwhash_str(hash.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return ResourceExhausted("not enough memory to hash the password");
  }
  hash.resize(std::strlen(hash.c_str()));
  return hash;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOwner: return "owner";
    case Role::kAdmin: return "admin";
    case Role::kAuditor: return "auditor";
    case Role::kMember: return "member";
    case Role::kService: return "service";
  }
  return "member";
}

std::optional<Role> ParseRole(std::string_view text) {
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kAuditor, Role::kMember, Role::kService}) {
    if (RoleName(r) == text) return r;
  }
  return std::nullopt;
}

Result<std::unique_ptr<IdentityStore>> IdentityStore::Open(store::Database& db,
                                                           const Clock& clock) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  DAULAT_RETURN_IF_ERROR(db.Migrate("identity", kMigrations));
  return std::unique_ptr<IdentityStore>(new IdentityStore(db, clock));
}

Status IdentityStore::CreateTenant(const std::string& id, const std::string& name) {
  if (!IsTenantId(id))
    return InvalidArgument(
        "a tenant id is 1-64 of a-z, 0-9, '-' and '_', starting with a-z or 0-9");
  if (name.empty() || name.size() > 200)
    return InvalidArgument("a tenant name is 1-200 characters");
  Status st = db_.Execute("INSERT INTO tenants (tenant_id, name, created_at) VALUES (?, ?, ?)",
                          {id, name, clock_.Seconds()});
  if (st.code() == StatusCode::kFailedPrecondition)
    return AlreadyExists("the tenant '" + id + "' already exists");
  return st;
}

Result<std::vector<TenantInfo>> IdentityStore::ListTenants() {
  auto rows = db_.Query(
      "SELECT tenant_id, name, created_at, requests_per_minute, tokens_per_day FROM tenants ORDER "
      "BY tenant_id");
  if (!rows.ok()) return rows.status();
  std::vector<TenantInfo> out;
  for (const auto& r : *rows) out.push_back({r.Text(0), r.Text(1), r.Int(2), LimitsFrom(r, 3)});
  return out;
}

Result<TenantInfo> IdentityStore::GetTenant(const std::string& id) {
  auto rows = store::TenantScope(db_, id).Select(
      "tenants", {"tenant_id", "name", "created_at", "requests_per_minute", "tokens_per_day"});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no tenant '" + id + "'");
  const auto& r = (*rows)[0];
  return TenantInfo{r.Text(0), r.Text(1), r.Int(2), LimitsFrom(r, 3)};
}

Result<Limits> IdentityStore::TenantLimits(const std::string& tenant_id) {
  auto t = GetTenant(tenant_id);
  if (!t.ok()) return t.status();
  return t->limits;
}

Status IdentityStore::SetTenantLimits(const std::string& id, Limits limits) {
  DAULAT_RETURN_IF_ERROR(internal::CheckLimits(limits));
  DAULAT_RETURN_IF_ERROR(GetTenant(id).status());
  return store::TenantScope(db_, id)
      .Update("tenants", {"requests_per_minute", "tokens_per_day"},
              {limits.requests_per_minute, limits.tokens_per_day}, "", {})
      .status();
}

Status IdentityStore::CreateUser(const std::string& tenant_id, const std::string& username,
                                 const std::string& password, Role role, Classification clearance) {
  if (username.empty() || username.size() > 128)
    return InvalidArgument("a user name is 1 to 128 characters");
  auto hash = HashPassword(password);
  if (!hash.ok()) return hash.status();
  DAULAT_RETURN_IF_ERROR(GetTenant(tenant_id).status());
  store::TenantScope scope(db_, tenant_id);
  Status st =
      scope.Insert("users", {"username", "password_hash", "role", "clearance", "created_at"},
                   {username, *hash, std::string(RoleName(role)),
                    std::string(ClassificationName(clearance)), clock_.Seconds()});
  if (st.code() == StatusCode::kFailedPrecondition)
    return AlreadyExists("the user '" + username + "' already exists");
  return st;
}

namespace {

Result<std::vector<UserInfo>> SelectUsers(store::TenantScope& scope, const std::string& where,
                                          const std::vector<store::Value>& params, int64_t limit) {
  auto rows = scope.Select("users",
                           {"username", "role", "clearance", "created_at", "disabled_at", "groups"},
                           where, params, "username", limit);
  if (!rows.ok()) return rows.status();
  std::vector<UserInfo> out;
  for (const auto& r : *rows) {
    out.push_back({r.Text(0), ParseRole(r.Text(1)).value_or(Role::kMember),
                   ParseClassification(r.Text(2)).value_or(Classification::kTerbuka),
                   internal::SplitScopes(r.Text(5)), r.Int(3), !r.IsNull(4)});
  }
  return out;
}

}  // namespace

Result<store::Page<UserInfo>> IdentityStore::ListUsers(const std::string& tenant_id,
                                                       const store::PageRequest& page) {
  DAULAT_RETURN_IF_ERROR(store::CheckPageSize(page));
  if (page.after.size() > 128) return InvalidArgument("'after' is not a cursor a listing gave");
  store::TenantScope scope(db_, tenant_id);
  auto users = page.after.empty() ? SelectUsers(scope, "", {}, static_cast<int64_t>(page.limit) + 1)
                                  : SelectUsers(scope, "username > ?", {page.after},
                                                static_cast<int64_t>(page.limit) + 1);
  if (!users.ok()) return users.status();
  return store::PageOf(std::move(*users), page.limit, [](const UserInfo& u) { return u.username; });
}

Result<UserInfo> IdentityStore::GetUser(const std::string& tenant_id, const std::string& username) {
  store::TenantScope scope(db_, tenant_id);
  auto users = SelectUsers(scope, "username = ?", {username}, 1);
  if (!users.ok()) return users.status();
  if (users->empty()) return NotFound("no user '" + username.substr(0, 128) + "' in this tenant");
  return std::move(users->front());
}

Status IdentityStore::UpdateUser(const std::string& tenant_id, const std::string& username,
                                 const UserUpdate& u) {
  std::vector<std::string> columns;
  std::vector<store::Value> values;
  if (u.role) {
    columns.emplace_back("role");
    values.emplace_back(std::string(RoleName(*u.role)));
  }
  if (u.clearance) {
    columns.emplace_back("clearance");
    values.emplace_back(std::string(ClassificationName(*u.clearance)));
  }
  if (u.password) {
    auto hash = HashPassword(*u.password);
    if (!hash.ok()) return hash.status();
    columns.emplace_back("password_hash");
    values.emplace_back(*hash);
  }
  if (u.groups) {
    DAULAT_RETURN_IF_ERROR(internal::CheckGroups(*u.groups));
    columns.emplace_back("groups");
    values.emplace_back(internal::JoinScopes(*u.groups));
  }
  if (u.disabled) {
    columns.emplace_back("disabled_at");
    if (*u.disabled) {
      values.emplace_back(clock_.Seconds());
    } else {
      values.emplace_back(nullptr);
    }
  }
  store::TenantScope scope(db_, tenant_id);
  if (columns.empty()) {
    auto rows = scope.Select("users", {"username"}, "username = ?", {username});
    if (!rows.ok()) return rows.status();
    return rows->empty() ? NotFound("no user '" + username + "' in this tenant") : Status::Ok();
  }
  auto changed = scope.Update("users", columns, values, "username = ?", {username});
  if (!changed.ok()) return changed.status();
  if (*changed == 0) return NotFound("no user '" + username + "' in this tenant");
  if (u.disabled.value_or(false) || u.password) {
    auto ended = scope.Delete("sessions", "username = ?", {username});
    if (!ended.ok()) return ended.status();
  }
  return Status::Ok();
}

Result<bool> IdentityStore::UserExists(const std::string& tenant_id, const std::string& username) {
  auto rows =
      store::TenantScope(db_, tenant_id).Select("users", {"username"}, "username = ?", {username});
  if (!rows.ok()) return rows.status();
  return !rows->empty();
}

Result<Principal> IdentityStore::Login(const std::string& tenant_id, const std::string& username,
                                       const std::string& password) {
  store::TenantScope scope(db_, tenant_id);
  auto rows = scope.Select("users", {"password_hash", "role", "clearance", "disabled_at", "groups"},
                           "username = ?", {username});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    // Spend the same time as a real check, so timing does not reveal which user names exist.
    static const std::string kDummy = [] {
      std::string h(crypto_pwhash_STRBYTES, '\0');
      if (crypto_pwhash_str(h.data(), "x", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return std::string();
      }
      return std::string(h.c_str());
    }();
    if (!kDummy.empty() &&
        crypto_pwhash_str_verify(kDummy.c_str(), password.data(), password.size()) == 0) {
      return Unauthenticated(kBadCredentials);  // (never true: no account has the dummy's password)
    }
    return Unauthenticated(kBadCredentials);
  }
  const auto& row = (*rows)[0];
  if (crypto_pwhash_str_verify(row.Text(0).c_str(), password.data(), password.size()) != 0 ||
      !row.IsNull(3)) {
    return Unauthenticated(kBadCredentials);
  }
  Principal p;
  p.tenant_id = tenant_id;
  p.subject = "user:" + username;
  p.role = ParseRole(row.Text(1)).value_or(Role::kMember);
  p.clearance = ParseClassification(row.Text(2)).value_or(Classification::kTerbuka);
  p.groups = internal::SplitScopes(row.Text(4));
  auto limits = TenantLimits(tenant_id);
  if (!limits.ok()) return limits.status();
  p.tenant_limits = *limits;
  return p;
}

}  // namespace daulat::identity
