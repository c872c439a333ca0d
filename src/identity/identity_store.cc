#include "identity/identity_store.h"

#include <sodium.h>

#include <chrono>
#include <cstring>

#include "common/sha256.h"

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
};

constexpr const char* kBadCredentials = "invalid user name or password";
constexpr const char* kBadKey = "invalid, expired or revoked API key";

std::string RandomToken(size_t n) {
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyz23456789";  // no look-alikes
  std::string out(n, 'a');
  for (auto& c : out) c = kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::vector<std::string> SplitScopes(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t sp = text.find(' ', pos);
    out.push_back(text.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return out;
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

Result<std::unique_ptr<IdentityStore>> IdentityStore::Open(store::Database& db, Clock clock) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  DAULAT_RETURN_IF_ERROR(db.Migrate("identity", kMigrations));
  if (!clock) {
    clock = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  return std::unique_ptr<IdentityStore>(new IdentityStore(db, std::move(clock)));
}

Status IdentityStore::CreateTenant(const std::string& id, const std::string& name) {
  if (id.empty() || id.size() > 64 || name.empty())
    return InvalidArgument("a tenant needs an id (1-64 chars) and a name");
  return db_.Execute("INSERT INTO tenants (tenant_id, name, created_at) VALUES (?, ?, ?)",
                     {id, name, clock_()});
}

Status IdentityStore::CreateUser(const std::string& tenant_id, const std::string& username,
                                 const std::string& password, Role role, Classification clearance) {
  if (username.empty() || username.size() > 128)
    return InvalidArgument("a user name is 1 to 128 characters");
  if (password.size() < 12) return InvalidArgument("a password needs at least 12 characters");
  if (password.size() > 1024) return InvalidArgument("a password is at most 1024 characters");
  std::string hash(crypto_pwhash_STRBYTES, '\0');
  if (crypto_pwhash_str(hash.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return ResourceExhausted("not enough memory to hash the password");
  }
  hash.resize(std::strlen(hash.c_str()));
  store::TenantScope scope(db_, tenant_id);
  return scope.Insert("users", {"username", "password_hash", "role", "clearance", "created_at"},
                      {username, hash, std::string(RoleName(role)),
                       std::string(ClassificationName(clearance)), clock_()});
}

Result<Principal> IdentityStore::Login(const std::string& tenant_id, const std::string& username,
                                       const std::string& password) {
  store::TenantScope scope(db_, tenant_id);
  auto rows =
      scope.Select("users", {"password_hash", "role", "clearance"}, "username = ?", {username});
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
  if (crypto_pwhash_str_verify(row.Text(0).c_str(), password.data(), password.size()) != 0) {
    return Unauthenticated(kBadCredentials);
  }
  Principal p;
  p.tenant_id = tenant_id;
  p.subject = "user:" + username;
  p.role = ParseRole(row.Text(1)).value_or(Role::kMember);
  p.clearance = ParseClassification(row.Text(2)).value_or(Classification::kTerbuka);
  return p;
}

Result<NewApiKey> IdentityStore::CreateApiKey(const std::string& tenant_id,
                                              const ApiKeyOptions& o) {
  if (o.name.empty() || o.name.size() > 128)
    return InvalidArgument("an API key needs a name of 1 to 128 characters");
  NewApiKey key;
  key.id = "key_" + RandomToken(16);
  key.prefix = RandomToken(8);
  key.secret = "dlt_" + key.prefix + "_" + RandomToken(40);
  store::TenantScope scope(db_, tenant_id);
  DAULAT_RETURN_IF_ERROR(scope.Insert(
      "api_keys",
      {"key_id", "prefix", "secret_hash", "name", "role", "clearance", "scopes", "created_at",
       "expires_at"},
      {key.id, key.prefix, Sha256Hex(key.secret), o.name, std::string(RoleName(o.role)),
       std::string(ClassificationName(o.clearance)), JoinScopes(o.scopes), clock_(),
       o.expires_at ? store::Value(*o.expires_at) : store::Value(nullptr)}));
  return key;
}

Result<Principal> IdentityStore::Authenticate(const std::string& secret) {
  // dlt_<8-char prefix>_<secret>
  if (secret.size() != 4 + 8 + 1 + 40 || secret.rfind("dlt_", 0) != 0 || secret[12] != '_') {
    return Unauthenticated(kBadKey);
  }
  // Prefix lookup is the one query that must cross tenants: the key names its tenant.
  auto rows = db_.Query(
      "SELECT tenant_id, key_id, secret_hash, role, clearance, scopes, expires_at, revoked_at FROM "
      "api_keys "
      "WHERE prefix = ?",
      {secret.substr(4, 8)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Unauthenticated(kBadKey);
  const auto& row = (*rows)[0];
  const std::string given = Sha256Hex(secret);
  const std::string stored = row.Text(2);
  if (stored.size() != given.size() ||
      sodium_memcmp(stored.data(), given.data(), given.size()) != 0) {
    return Unauthenticated(kBadKey);
  }
  const int64_t now = clock_();
  if (!row.IsNull(7) || (!row.IsNull(6) && row.Int(6) <= now)) return Unauthenticated(kBadKey);
  Principal p;
  p.tenant_id = row.Text(0);
  p.subject = "key:" + row.Text(1);
  p.role = ParseRole(row.Text(3)).value_or(Role::kMember);
  p.clearance = ParseClassification(row.Text(4)).value_or(Classification::kTerbuka);
  p.scopes = SplitScopes(row.Text(5));
  return p;
}

Status IdentityStore::RevokeApiKey(const std::string& tenant_id, const std::string& key_id) {
  store::TenantScope scope(db_, tenant_id);
  auto changed = scope.Update("api_keys", {"revoked_at"}, {clock_()},
                              "key_id = ? AND revoked_at IS NULL", {key_id});
  if (!changed.ok()) return changed.status();
  if (*changed == 0) return NotFound("no active API key " + key_id + " in this tenant");
  return Status::Ok();
}

}  // namespace daulat::identity
