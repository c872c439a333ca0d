// Management API: routes, sign-in, tenants, users and API keys.

#include "http/management_api.h"

#include <chrono>

#include "common/clock.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"
#include "identity/administration.h"
#include "identity/identity_json.h"

namespace daulat::http {
namespace {

using identity::Role;
using nlohmann::json;

json List(json data) {
  return {{"object", "list"}, {"data", std::move(data)}};
}

}  // namespace

void ManagementApi::AddRoutes(std::vector<ApiRoute>& routes) {
  using V = boost::beast::http::verb;
  using P = gateway::Permission;
  const auto bind = [this](void (ManagementApi::*fn)(const CallPtr&)) {
    return [this, fn](const CallPtr& c) { (this->*fn)(c); };
  };
  const std::vector<ApiRoute> mine = {
      {V::post, "/api/v1/auth/login", P::kPublic, true, bind(&ManagementApi::Login)},
      {V::post, "/api/v1/auth/logout", P::kSelf, false, bind(&ManagementApi::Logout)},
      {V::get, "/api/v1/me", P::kSelf, false, bind(&ManagementApi::Me)},
      {V::get, "/api/v1/tenants", P::kManageTenants, false, bind(&ManagementApi::ListTenants)},
      {V::post, "/api/v1/tenants", P::kManageTenants, true, bind(&ManagementApi::CreateTenant)},
      {V::patch, "/api/v1/tenants/{id}", P::kManageTenants, true,
       bind(&ManagementApi::UpdateTenant)},
      {V::get, "/api/v1/users", P::kManageIdentity, false, bind(&ManagementApi::ListUsers)},
      {V::post, "/api/v1/users", P::kManageIdentity, true, bind(&ManagementApi::CreateUser)},
      {V::patch, "/api/v1/users/{username}", P::kManageIdentity, true,
       bind(&ManagementApi::UpdateUser)},
      {V::get, "/api/v1/keys", P::kManageIdentity, false, bind(&ManagementApi::ListKeys)},
      {V::post, "/api/v1/keys", P::kManageIdentity, true, bind(&ManagementApi::CreateKey)},
      {V::patch, "/api/v1/keys/{id}", P::kManageIdentity, true, bind(&ManagementApi::UpdateKey)},
      {V::delete_, "/api/v1/keys/{id}", P::kManageIdentity, false, bind(&ManagementApi::RevokeKey)},
      {V::get, "/api/v1/policy", P::kReadPolicy, false, bind(&ManagementApi::GetPolicy)},
      {V::put, "/api/v1/policy", P::kManagePolicy, true, bind(&ManagementApi::PutPolicy)},
      {V::get, "/api/v1/policy/versions", P::kReadPolicy, false,
       bind(&ManagementApi::PolicyVersions)},
      {V::get, "/api/v1/audit", P::kReadAudit, false, bind(&ManagementApi::ListAudit)},
      {V::get, "/api/v1/audit/verify", P::kReadAudit, false, bind(&ManagementApi::VerifyAudit)},
      {V::get, "/api/v1/audit/export", P::kReadAudit, false, bind(&ManagementApi::ExportAudit)},
      {V::get, "/api/v1/audit/{seq}", P::kReadAudit, false, bind(&ManagementApi::ProveAudit)},
      {V::get, "/api/v1/usage", P::kReadUsage, false, bind(&ManagementApi::Usage)},
  };
  routes.insert(routes.end(), mine.begin(), mine.end());
}

std::string ManagementApi::SignInActor(const std::string& tenant, const std::string& username) {
  auto exists = s_.identity->UserExists(tenant, username);
  if (exists.ok() && *exists) return "user:" + username;
  if (s_.query_fingerprints == nullptr) return "user:(unknown)";
  return "user:(unknown " + s_.query_fingerprints->Of(tenant, "sign-in name\n" + username) + ")";
}

void ManagementApi::Login(const CallPtr& call) {
  RequestFields f(call->body, {"tenant", "username", "password"});
  const auto tenant = f.String("tenant", false, 64).value_or(gateway::kOperatorTenant);
  const auto username = f.String("username", true, 128);
  const auto password = f.String("password", true, 1024);
  if (!f.status().ok()) return call->Fail(f.status());
  // A name that is no account may be a password typed in the wrong box: the
  // log keeps a keyed hash of it (repeats still show), never the text.
  call->ctx.actor = "user:(unknown)";
  // Failed sign-ins are audited in the tenant named, when it exists (its
  // admins see them); otherwise in the operator tenant.
  auto& principal = call->ctx.caller.principal;
  principal.tenant_id = s_.identity->GetTenant(tenant).ok() ? tenant : gateway::kOperatorTenant;
  const std::string source = call->responder->peer_address();
  if (s_.sign_in_throttle != nullptr) {
    if (Status st = s_.sign_in_throttle->Check(tenant, *username, source); !st.ok()) {
      call->ctx.audit_action = "login_throttled";
      call->ctx.actor = SignInActor(tenant, *username);
      call->ctx.audit_note = "from " + source;
      return call->Fail(st);
    }
  }
  PostFor(sign_in_, call, [this, call, tenant, source, username = *username, password = *password] {
    auto p = s_.identity->Login(tenant, username, password);
    call->ctx.actor = SignInActor(tenant, username);
    if (!p.ok()) {
      call->ctx.audit_action = "login_failed";
      call->ctx.audit_note = "from " + source;
      if (s_.sign_in_throttle != nullptr && p.status().code() == StatusCode::kUnauthenticated) {
        const std::string changed = s_.sign_in_throttle->Failed(tenant, username, source);
        if (!changed.empty()) call->ctx.audit_note += "; " + changed;
      } else if (s_.sign_in_throttle != nullptr) {
        s_.sign_in_throttle->Abandoned(tenant, username, source);
      }
      return call->Fail(p.status());
    }
    if (s_.sign_in_throttle != nullptr) s_.sign_in_throttle->Succeeded(tenant, username, source);
    auto session = s_.identity->CreateSession(*p, s_.session_ttl_seconds);
    if (!session.ok()) return call->Fail(session.status());
    call->ctx.audit_action = "login";
    call->ctx.caller.principal = *p;
    call->ReplyJson(200, {{"token", session->token},
                          {"expires_at", session->expires_at},
                          {"tenant", p->tenant_id},
                          {"username", username},
                          {"role", identity::RoleName(p->role)},
                          {"clearance", ClassificationName(p->clearance)}});
  });
}

void ManagementApi::Logout(const CallPtr& call) {
  call->ctx.audit_action = "logout";
  const std::string& h = call->ctx.authorization;
  if (h.rfind("Bearer dls_", 0) == 0) {
    if (Status st = s_.identity->EndSession(h.substr(7)); !st.ok()) return call->Fail(st);
  }
  call->ReplyJson(200, {{"signed_out", true}});
}

void ManagementApi::Me(const CallPtr& call) {
  call->ctx.audit_action = "whoami";
  const auto& p = call->ctx.caller.principal;
  call->ReplyJson(200, {{"tenant", p.tenant_id},
                        {"subject", p.subject},
                        {"role", identity::RoleName(p.role)},
                        {"clearance", ClassificationName(p.clearance)},
                        {"scopes", p.scopes},
                        {"authenticated", call->ctx.caller.authenticated}});
}

void ManagementApi::ListTenants(const CallPtr& call) {
  call->ctx.audit_action = "tenants_read";
  auto tenants = s_.identity->ListTenants();
  if (!tenants.ok()) return call->Fail(tenants.status());
  json data = json::array();
  for (const auto& t : *tenants) data.push_back(identity::ToJson(t));
  call->ReplyJson(200, List(data));
}

void ManagementApi::CreateTenant(const CallPtr& call) {
  RequestFields f(call->body, {"id", "name", "requests_per_minute", "tokens_per_day"});
  const auto id = f.String("id", true, 64);
  const auto name = f.String("name", true, 200);
  const identity::Limits limits{f.Int("requests_per_minute", 0, 1'000'000).value_or(0),
                                f.Int("tokens_per_day", 0, int64_t{1} << 50).value_or(0)};
  if (!f.status().ok()) return call->Fail(f.status());
  call->ctx.audit_action = "tenant_created";
  call->ctx.resource = "tenant:" + *id;
  if (Status st = s_.identity->CreateTenant(*id, *name); !st.ok()) return call->Fail(st);
  if (Status st = s_.identity->SetTenantLimits(*id, limits); !st.ok()) return call->Fail(st);
  // The new tenant's first credential: an owner key, shown once.
  identity::ApiKeyOptions o;
  o.name = "owner (created with the tenant)";
  o.role = Role::kOwner;
  o.clearance = Classification::kRahsiaBesar;
  auto key = s_.identity->CreateApiKey(*id, o);
  if (!key.ok()) return call->Fail(key.status());
  auto t = s_.identity->GetTenant(*id);
  if (!t.ok()) return call->Fail(t.status());
  json out = identity::ToJson(*t);
  out["owner_key"] = {{"id", key->id}, {"prefix", key->prefix}, {"key", key->secret}};
  call->ReplyJson(201, out);
}

void ManagementApi::UpdateTenant(const CallPtr& call) {
  RequestFields f(call->body, {"requests_per_minute", "tokens_per_day"});
  const auto rpm = f.Int("requests_per_minute", 0, 1'000'000);
  const auto tpd = f.Int("tokens_per_day", 0, int64_t{1} << 50);
  if (!f.status().ok()) return call->Fail(f.status());
  const std::string& id = call->params.at(0);
  call->ctx.audit_action = "tenant_updated";
  call->ctx.resource = "tenant:" + id;
  auto t = s_.identity->GetTenant(id);
  if (!t.ok()) return call->Fail(t.status());
  identity::Limits limits = t->limits;
  if (rpm) limits.requests_per_minute = *rpm;
  if (tpd) limits.tokens_per_day = *tpd;
  if (Status st = s_.identity->SetTenantLimits(id, limits); !st.ok()) return call->Fail(st);
  t->limits = limits;
  call->ReplyJson(200, identity::ToJson(*t));
}

void ManagementApi::ListUsers(const CallPtr& call) {
  call->ctx.audit_action = "users_read";
  const auto page = PageRequestOf(*call);
  if (!page) return;
  auto users = s_.identity->ListUsers(call->ctx.caller.principal.tenant_id, *page);
  if (!users.ok()) return FailListing(*call, users.status());
  call->ReplyJson(200, ListPage(
                           *users, [](const auto& u) { return identity::ToJson(u); }, "username"));
}

void ManagementApi::CreateUser(const CallPtr& call) {
  RequestFields f(call->body, {"username", "password", "role", "clearance", "groups"});
  const auto username = f.String("username", true, 128);
  const auto password = f.String("password", true, 1024);
  const auto role = f.Role("role", false);
  const auto clearance = f.Clearance("clearance", false);
  const auto groups = f.Strings("groups", 64).value_or(std::vector<std::string>{});
  if (!f.status().ok()) return call->Fail(f.status());
  call->ctx.audit_action = "user_created";
  call->ctx.resource = "user:" + *username;
  identity::NewUser user{*username, *password, role.value_or(Role::kMember),
                         clearance.value_or(Classification::kTerbuka), groups};
  // Argon2id takes tens of milliseconds: off the I/O threads.
  PostFor(sign_in_, call, [this, call, user = std::move(user)] {
    auto created =
        identity::Administration(*s_.identity).CreateUser(call->ctx.caller.principal, user);
    if (!created.ok()) return call->Fail(created.status());
    call->ReplyJson(201, identity::ToJson(*created));
  });
}

void ManagementApi::UpdateUser(const CallPtr& call) {
  RequestFields f(call->body, {"role", "clearance", "password", "disabled", "groups"});
  identity::UserUpdate u;
  u.groups = f.Strings("groups", 64);
  u.role = f.Role("role", false);
  u.clearance = f.Clearance("clearance", false);
  u.password = f.String("password", false, 1024);
  u.disabled = f.Bool("disabled");
  if (!f.status().ok()) return call->Fail(f.status());
  const std::string username = call->params.at(0);
  call->ctx.audit_action = "user_updated";
  call->ctx.resource = "user:" + username;
  PostFor(sign_in_, call, [this, call, username, u] {
    auto after =
        identity::Administration(*s_.identity).UpdateUser(call->ctx.caller.principal, username, u);
    if (!after.ok()) return call->Fail(after.status());
    call->ReplyJson(200, identity::ToJson(*after));
  });
}

void ManagementApi::ListKeys(const CallPtr& call) {
  call->ctx.audit_action = "keys_read";
  const auto page = PageRequestOf(*call);
  if (!page) return;
  auto keys = s_.identity->ListApiKeys(call->ctx.caller.principal.tenant_id, *page);
  if (!keys.ok()) return FailListing(*call, keys.status());
  call->ReplyJson(200, ListPage(*keys, [](const auto& k) { return identity::ToJson(k); }));
}

void ManagementApi::CreateKey(const CallPtr& call) {
  RequestFields f(call->body, {"name", "role", "clearance", "scopes", "groups", "expires_in_days",
                               "requests_per_minute", "tokens_per_day"});
  identity::ApiKeyOptions o;
  o.name = f.String("name", true, 128).value_or("");
  const auto role = f.Role("role", false);
  const auto clearance = f.Clearance("clearance", false);
  o.scopes =
      f.Strings("scopes", identity::KnownScopes().size()).value_or(std::vector<std::string>{});
  o.groups = f.Strings("groups", 64).value_or(std::vector<std::string>{});
  const auto days = f.Int("expires_in_days", 1, 3650);
  o.limits = {f.Int("requests_per_minute", 0, 1'000'000).value_or(0),
              f.Int("tokens_per_day", 0, int64_t{1} << 50).value_or(0)};
  if (!f.status().ok()) return call->Fail(f.status());
  o.role = role.value_or(Role::kMember);
  o.clearance = clearance.value_or(Classification::kTerbuka);
  if (days) o.expires_at = UnixSeconds() + *days * 86400;
  call->ctx.audit_action = "key_created";
  auto created = identity::Administration(*s_.identity).CreateApiKey(call->ctx.caller.principal, o);
  if (!created.ok())
    return call->Fail(created.status(),
                      created.status().code() == StatusCode::kInvalidArgument ? "scopes" : "");
  call->ctx.resource = "key:" + created->info.id;
  json out = identity::ToJson(created->info);
  out["key"] = created->key.secret;  // the only time it is shown
  call->ReplyJson(201, out);
}

void ManagementApi::UpdateKey(const CallPtr& call) {
  RequestFields f(call->body, {"requests_per_minute", "tokens_per_day"});
  const auto rpm = f.Int("requests_per_minute", 0, 1'000'000);
  const auto tpd = f.Int("tokens_per_day", 0, int64_t{1} << 50);
  if (!f.status().ok()) return call->Fail(f.status());
  const std::string& id = call->params.at(0);
  call->ctx.audit_action = "key_updated";
  call->ctx.resource = "key:" + id;
  auto key = identity::Administration(*s_.identity)
                 .SetApiKeyLimits(call->ctx.caller.principal, id, rpm, tpd);
  if (!key.ok()) return call->Fail(key.status());
  call->ReplyJson(200, identity::ToJson(*key));
}

void ManagementApi::RevokeKey(const CallPtr& call) {
  const std::string& id = call->params.at(0);
  call->ctx.audit_action = "key_revoked";
  call->ctx.resource = "key:" + id;
  if (Status st =
          identity::Administration(*s_.identity).RevokeApiKey(call->ctx.caller.principal, id);
      !st.ok())
    return call->Fail(st);
  call->ReplyJson(200, {{"id", id}, {"revoked", true}});
}

}  // namespace daulat::http
