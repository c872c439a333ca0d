// IdentityStore: API keys and authentication of bearer secrets.

#include <sodium.h>

#include <algorithm>
#include <set>

#include "common/sha256.h"
#include "identity/identity_internal.h"
#include "identity/identity_store.h"

namespace daulat::identity {

namespace internal {

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

Status CheckLimits(const Limits& limits) {
  if (limits.requests_per_minute < 0 || limits.tokens_per_day < 0)
    return InvalidArgument("quota limits are 0 (unlimited) or more");
  if (limits.requests_per_minute > 1'000'000'000 || limits.tokens_per_day > (int64_t{1} << 50))
    return InvalidArgument("quota limit too large");
  return Status::Ok();
}

Status CheckGroups(const std::vector<std::string>& groups) {
  if (groups.size() > 64) return InvalidArgument("at most 64 groups");
  for (const auto& g : groups) {
    if (g.empty() || g.size() > 64 || g.find(' ') != std::string::npos)
      return InvalidArgument("a group name is 1-64 characters without spaces");
  }
  return Status::Ok();
}

store::Value Optional(const std::optional<int64_t>& v) {
  return v ? store::Value(*v) : store::Value(nullptr);
}

}  // namespace internal

using internal::kBadKey;

namespace {

Status CheckKeyOptions(const ApiKeyOptions& o) {
  if (o.name.empty() || o.name.size() > 128)
    return InvalidArgument("an API key needs a name of 1 to 128 characters");
  for (const auto& s : o.scopes) {
    if (s.empty() || s.size() > 64 || s.find(' ') != std::string::npos)
      return InvalidArgument("a scope is 1-64 characters without spaces");
  }
  DAULAT_RETURN_IF_ERROR(internal::CheckGroups(o.groups));
  return internal::CheckLimits(o.limits);
}

const std::vector<std::string> kKeyColumns = {
    "key_id",         "prefix", "secret_hash", "name",       "role",
    "clearance",      "scopes", "created_at",  "expires_at", "requests_per_minute",
    "tokens_per_day", "groups"};

std::vector<store::Value> KeyValues(const std::string& id, const std::string& prefix,
                                    const std::string& hash, const ApiKeyOptions& o, int64_t now) {
  return {id,
          prefix,
          hash,
          o.name,
          std::string(RoleName(o.role)),
          std::string(ClassificationName(o.clearance)),
          internal::JoinScopes(o.scopes),
          now,
          internal::Optional(o.expires_at),
          o.limits.requests_per_minute,
          o.limits.tokens_per_day,
          internal::JoinScopes(o.groups)};
}

}  // namespace

Result<NewApiKey> IdentityStore::CreateApiKey(const std::string& tenant_id,
                                              const ApiKeyOptions& o) {
  DAULAT_RETURN_IF_ERROR(CheckKeyOptions(o));
  DAULAT_RETURN_IF_ERROR(GetTenant(tenant_id).status());
  NewApiKey key;
  key.id = "key_" + internal::RandomToken(16);
  key.prefix = internal::RandomToken(8);
  key.secret = "dlt_" + key.prefix + "_" + internal::RandomToken(40);
  store::TenantScope scope(db_, tenant_id);
  DAULAT_RETURN_IF_ERROR(
      scope.Insert("api_keys", kKeyColumns,
                   KeyValues(key.id, key.prefix, Sha256Hex(key.secret), o, clock_.Seconds())));
  return key;
}

Status CheckOperatorChosenKey(std::string_view secret) {
  constexpr const char* kHow = " (generate one with: openssl rand -hex 32)";
  if (secret.size() < 32 || secret.size() > 512)
    return InvalidArgument("an operator-chosen API key needs 32 to 512 random characters, not " +
                           std::to_string(secret.size()) + kHow);
  const bool printable =
      std::all_of(secret.begin(), secret.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (!printable)
    return InvalidArgument(std::string("an operator-chosen API key is printable ASCII without "
                                       "spaces") +
                           kHow);
  // A word repeated to length ("password" four times) is not random.
  const std::set<char> distinct(secret.begin(), secret.end());
  if (distinct.size() < 8)
    return InvalidArgument("an operator-chosen API key must be random: this one uses only " +
                           std::to_string(distinct.size()) + " different characters" + kHow);
  return Status::Ok();
}

Result<std::string> IdentityStore::ImportApiKey(const std::string& tenant_id,
                                                const std::string& secret, const ApiKeyOptions& o) {
  DAULAT_RETURN_IF_ERROR(CheckOperatorChosenKey(secret));
  DAULAT_RETURN_IF_ERROR(CheckKeyOptions(o));
  DAULAT_RETURN_IF_ERROR(GetTenant(tenant_id).status());
  const std::string hash = Sha256Hex(secret);
  auto existing =
      db_.Query("SELECT key_id, tenant_id, name FROM api_keys WHERE secret_hash = ?", {hash});
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) {
    const auto& row = (*existing)[0];
    if (row.Text(1) != tenant_id || row.Text(2) != o.name)
      return FailedPrecondition("that secret is already registered as another key");
    return row.Text(0);
  }
  const std::string id = "key_" + internal::RandomToken(16);
  // Imported secrets have no visible prefix of their own: show part of the hash.
  const std::string prefix = "sha256:" + hash.substr(0, 8);
  store::TenantScope scope(db_, tenant_id);
  DAULAT_RETURN_IF_ERROR(
      scope.Insert("api_keys", kKeyColumns, KeyValues(id, prefix, hash, o, clock_.Seconds())));
  return id;
}

namespace {

Result<std::vector<ApiKeyInfo>> SelectKeys(store::TenantScope& scope, const std::string& where,
                                           const std::vector<store::Value>& params, int64_t limit) {
  auto rows =
      scope.Select("api_keys",
                   {"key_id", "prefix", "name", "role", "clearance", "scopes", "created_at",
                    "expires_at", "revoked_at", "requests_per_minute", "tokens_per_day", "groups"},
                   where, params, "created_at DESC, key_id", limit);
  if (!rows.ok()) return rows.status();
  std::vector<ApiKeyInfo> out;
  for (const auto& r : *rows) {
    ApiKeyInfo k;
    k.id = r.Text(0);
    k.prefix = r.Text(1);
    k.name = r.Text(2);
    k.role = ParseRole(r.Text(3)).value_or(Role::kMember);
    k.clearance = ParseClassification(r.Text(4)).value_or(Classification::kTerbuka);
    k.scopes = internal::SplitScopes(r.Text(5));
    k.created_at = r.Int(6);
    if (!r.IsNull(7)) k.expires_at = r.Int(7);
    if (!r.IsNull(8)) k.revoked_at = r.Int(8);
    k.limits = {r.Int(9), r.Int(10)};
    k.groups = internal::SplitScopes(r.Text(11));
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

Result<store::Page<ApiKeyInfo>> IdentityStore::ListApiKeys(const std::string& tenant_id,
                                                           const store::PageRequest& page) {
  DAULAT_RETURN_IF_ERROR(store::CheckPageSize(page));
  std::string where;
  std::vector<store::Value> params;
  if (!page.after.empty()) {
    auto after = store::ParseTimeCursor(page.after);
    if (!after.ok()) return after.status();
    where = "(created_at < ? OR (created_at = ? AND key_id > ?))";
    params = {after->created_at, after->created_at, after->id};
  }
  store::TenantScope scope(db_, tenant_id);
  auto keys = SelectKeys(scope, where, params, static_cast<int64_t>(page.limit) + 1);
  if (!keys.ok()) return keys.status();
  return store::PageOf(std::move(*keys), page.limit, [](const ApiKeyInfo& k) {
    return store::FormatTimeCursor({k.created_at, k.id});
  });
}

Result<ApiKeyInfo> IdentityStore::GetApiKey(const std::string& tenant_id,
                                            const std::string& key_id) {
  store::TenantScope scope(db_, tenant_id);
  auto keys = SelectKeys(scope, "key_id = ?", {key_id}, 1);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return NotFound("no API key " + key_id.substr(0, 64) + " in this tenant");
  return std::move(keys->front());
}

Status IdentityStore::SetApiKeyLimits(const std::string& tenant_id, const std::string& key_id,
                                      Limits limits) {
  DAULAT_RETURN_IF_ERROR(internal::CheckLimits(limits));
  store::TenantScope scope(db_, tenant_id);
  auto changed =
      scope.Update("api_keys", {"requests_per_minute", "tokens_per_day"},
                   {limits.requests_per_minute, limits.tokens_per_day}, "key_id = ?", {key_id});
  if (!changed.ok()) return changed.status();
  if (*changed == 0) return NotFound("no API key " + key_id + " in this tenant");
  return Status::Ok();
}

Status IdentityStore::RevokeApiKey(const std::string& tenant_id, const std::string& key_id) {
  store::TenantScope scope(db_, tenant_id);
  auto changed = scope.Update("api_keys", {"revoked_at"}, {clock_.Seconds()},
                              "key_id = ? AND revoked_at IS NULL", {key_id});
  if (!changed.ok()) return changed.status();
  if (*changed == 0) return NotFound("no active API key " + key_id + " in this tenant");
  return Status::Ok();
}

Result<Principal> IdentityStore::Authenticate(const std::string& secret) {
  if (secret.rfind("dls_", 0) == 0) return AuthenticateSession(secret);
  return AuthenticateKey(secret);
}

Result<Principal> IdentityStore::AuthenticateKey(const std::string& secret) {
  if (secret.empty() || secret.size() > 512) return Unauthenticated(kBadKey);
  const std::string given = Sha256Hex(secret);
  // The one query that must cross tenants: the key names its tenant. Lookup is
  // by the secret's hash (a dlt_ key's prefix only helps people recognise it);
  // the comparison below is constant-time all the same.
  auto rows = db_.Query(
      "SELECT k.tenant_id, k.key_id, k.secret_hash, k.role, k.clearance, k.scopes, k.expires_at, "
      "k.revoked_at, k.requests_per_minute, k.tokens_per_day, t.requests_per_minute, "
      "t.tokens_per_day, k.groups FROM api_keys k JOIN tenants t ON t.tenant_id = k.tenant_id "
      "WHERE "
      "k.secret_hash = ?",
      {given});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Unauthenticated(kBadKey);
  const auto& row = (*rows)[0];
  const std::string stored = row.Text(2);
  if (stored.size() != given.size() ||
      sodium_memcmp(stored.data(), given.data(), given.size()) != 0) {
    return Unauthenticated(kBadKey);
  }
  const int64_t now = clock_.Seconds();
  if (!row.IsNull(7) || (!row.IsNull(6) && row.Int(6) <= now)) return Unauthenticated(kBadKey);
  Principal p;
  p.tenant_id = row.Text(0);
  p.subject = "key:" + row.Text(1);
  p.role = ParseRole(row.Text(3)).value_or(Role::kMember);
  p.clearance = ParseClassification(row.Text(4)).value_or(Classification::kTerbuka);
  p.scopes = internal::SplitScopes(row.Text(5));
  p.key_limits = {row.Int(8), row.Int(9)};
  p.tenant_limits = {row.Int(10), row.Int(11)};
  p.groups = internal::SplitScopes(row.Text(12));
  return p;
}

}  // namespace daulat::identity
