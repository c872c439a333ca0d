// IdentityStore: console sessions.

#include "common/sha256.h"
#include "identity/identity_internal.h"
#include "identity/identity_store.h"

namespace daulat::identity {

Result<NewSession> IdentityStore::CreateSession(const Principal& user, int64_t ttl_seconds) {
  if (user.subject.rfind("user:", 0) != 0) return InvalidArgument("only users have sessions");
  if (ttl_seconds <= 0) return InvalidArgument("a session lives for at least one second");
  NewSession s;
  s.token = "dls_" + internal::RandomToken(43);
  s.expires_at = clock_.Seconds() + ttl_seconds;
  store::TenantScope scope(db_, user.tenant_id);
  DAULAT_RETURN_IF_ERROR(
      scope.Insert("sessions", {"token_hash", "username", "created_at", "expires_at"},
                   {Sha256Hex(s.token), user.subject.substr(5), clock_.Seconds(), s.expires_at}));
  return s;
}

Status IdentityStore::EndSession(const std::string& token) {
  return db_.Execute("DELETE FROM sessions WHERE token_hash = ?", {Sha256Hex(token)});
}

Result<Principal> IdentityStore::AuthenticateSession(const std::string& token) {
  if (token.size() != 4 + 43) return Unauthenticated("invalid or expired session");
  auto rows = db_.Query(
      "SELECT s.tenant_id, s.username, s.expires_at, u.role, u.clearance, u.disabled_at, "
      "t.requests_per_minute, t.tokens_per_day, u.groups FROM sessions s JOIN users u ON "
      "u.tenant_id = "
      "s.tenant_id AND u.username = s.username JOIN tenants t ON t.tenant_id = s.tenant_id WHERE "
      "s.token_hash = ?",
      {Sha256Hex(token)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Unauthenticated("invalid or expired session");
  const auto& row = (*rows)[0];
  if (row.Int(2) <= clock_.Seconds() || !row.IsNull(5)) {
    (void)EndSession(token);
    return Unauthenticated("invalid or expired session");
  }
  Principal p;
  p.tenant_id = row.Text(0);
  p.subject = "user:" + row.Text(1);
  p.role = ParseRole(row.Text(3)).value_or(Role::kMember);
  p.clearance = ParseClassification(row.Text(4)).value_or(Classification::kTerbuka);
  p.tenant_limits = {row.Int(6), row.Int(7)};
  p.groups = internal::SplitScopes(row.Text(8));
  return p;
}

}  // namespace daulat::identity
