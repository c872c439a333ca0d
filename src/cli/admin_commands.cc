// daulat tenants | users | keys: identity administration on the local data folder.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/admin_stores.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/clock.h"
#include "identity/identity_json.h"

namespace daulat::cli {
namespace {

using nlohmann::json;

struct AdminFlags {
  std::string tenant = "default";
  bool json = false;
  std::string id, name, role, clearance, password_file, username;
  std::vector<std::string> scopes;
  int64_t rpm = -1, tpd = -1, expires_in_days = 0;
};

void Print(const AdminFlags& f, const json& j, const std::string& text) {
  if (f.json) {
    std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
}

std::string Date(int64_t t) {
  char buf[32];
  const std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

Result<AdminStores> Open(const GlobalOptions& g) {
  return AdminStores::Open(g);
}

Result<identity::Role> RoleFlag(const std::string& text, identity::Role fallback) {
  if (text.empty()) return fallback;
  auto r = identity::ParseRole(text);
  if (!r) return InvalidArgument("--role must be owner, admin, auditor, member or service");
  return *r;
}

Result<Classification> ClearanceFlag(const std::string& text) {
  if (text.empty()) return Classification::kTerbuka;
  auto c = ParseClassification(text);
  if (!c)
    return InvalidArgument("--clearance must be TERBUKA, TERHAD, SULIT, RAHSIA or RAHSIA BESAR");
  return *c;
}

Result<std::string> ReadPassword(const std::string& file) {
  std::string pw;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return NotFound("cannot read " + file);
    std::getline(in, pw);
  } else if (const char* env = std::getenv("DAULAT_PASSWORD"); env != nullptr && *env != '\0') {
    pw = env;
  } else {
    std::getline(std::cin, pw);  // one line on stdin
  }
  return pw;
}

int Tenants(const GlobalOptions& g, const std::string& action, const AdminFlags& f) {
  auto s = Open(g);
  if (!s.ok()) return ReportError(s.status());
  if (action == "list") {
    auto list = s->ids->ListTenants();
    if (!list.ok()) return ReportError(list.status());
    json j = json::array();
    std::string text;
    for (const auto& t : *list) {
      j.push_back(identity::ToJson(t));
      text += t.id + "\t" + t.name + "\t" + Date(t.created_at) + "\n";
    }
    Print(f, j, text);
    return kExitOk;
  }
  if (action == "create") {
    if (Status st = s->ids->CreateTenant(f.id, f.name); !st.ok()) return ReportError(st);
    identity::ApiKeyOptions o;
    o.name = "owner (created with the tenant)";
    o.role = identity::Role::kOwner;
    o.clearance = Classification::kRahsiaBesar;
    auto key = s->ids->CreateApiKey(f.id, o);
    if (!key.ok()) return ReportError(key.status());
    if (Status st = s->Record(f.id, "tenant_created", "tenant:" + f.id, "created from the CLI");
        !st.ok())
      return ReportError(st);
    Print(f, {{"id", f.id}, {"owner_key", {{"id", key->id}, {"key", key->secret}}}},
          "tenant " + f.id + " created\nowner API key (shown once): " + key->secret + "\n");
    return kExitOk;
  }
  // set-limits
  auto t = s->ids->GetTenant(f.id);
  if (!t.ok()) return ReportError(t.status());
  identity::Limits limits = t->limits;
  if (f.rpm >= 0) limits.requests_per_minute = f.rpm;
  if (f.tpd >= 0) limits.tokens_per_day = f.tpd;
  if (Status st = s->ids->SetTenantLimits(f.id, limits); !st.ok()) return ReportError(st);
  if (Status st = s->Record(f.id, "tenant_updated", "tenant:" + f.id, "quotas set from the CLI");
      !st.ok())
    return ReportError(st);
  Print(f,
        {{"id", f.id},
         {"requests_per_minute", limits.requests_per_minute},
         {"tokens_per_day", limits.tokens_per_day}},
        "tenant " + f.id + ": " + std::to_string(limits.requests_per_minute) + " requests/min, " +
            std::to_string(limits.tokens_per_day) + " tokens/day\n");
  return kExitOk;
}

int Users(const GlobalOptions& g, const std::string& action, const AdminFlags& f) {
  auto s = Open(g);
  if (!s.ok()) return ReportError(s.status());
  if (action == "list") {
    auto list = store::AllPages<identity::UserInfo>(
        [&](const store::PageRequest& page) { return s->ids->ListUsers(f.tenant, page); });
    if (!list.ok()) return ReportError(list.status());
    json j = json::array();
    std::string text;
    for (const auto& u : *list) {
      j.push_back(identity::ToJson(u));
      text += u.username + "\t" + std::string(identity::RoleName(u.role)) + "\t" +
              std::string(ClassificationName(u.clearance)) + (u.disabled ? "\tdisabled" : "") +
              "\n";
    }
    Print(f, j, text);
    return kExitOk;
  }
  if (action == "create") {
    auto role = RoleFlag(f.role, identity::Role::kMember);
    if (!role.ok()) return ReportError(role.status());
    auto clearance = ClearanceFlag(f.clearance);
    if (!clearance.ok()) return ReportError(clearance.status());
    auto pw = ReadPassword(f.password_file);
    if (!pw.ok()) return ReportError(pw.status());
    if (Status st = s->ids->CreateUser(f.tenant, f.username, *pw, *role, *clearance); !st.ok())
      return ReportError(st);
    if (Status st =
            s->Record(f.tenant, "user_created", "user:" + f.username, "created from the CLI");
        !st.ok())
      return ReportError(st);
    Print(f, {{"username", f.username}, {"tenant", f.tenant}}, "user " + f.username + " created\n");
    return kExitOk;
  }
  identity::UserUpdate u;
  if (action == "disable" || action == "enable") u.disabled = action == "disable";
  if (action == "set") {
    if (!f.role.empty()) {
      auto role = RoleFlag(f.role, identity::Role::kMember);
      if (!role.ok()) return ReportError(role.status());
      u.role = *role;
    }
    if (!f.clearance.empty()) {
      auto clearance = ClearanceFlag(f.clearance);
      if (!clearance.ok()) return ReportError(clearance.status());
      u.clearance = *clearance;
    }
    if (!f.password_file.empty()) {
      auto pw = ReadPassword(f.password_file);
      if (!pw.ok()) return ReportError(pw.status());
      u.password = *pw;
    }
  }
  if (Status st = s->ids->UpdateUser(f.tenant, f.username, u); !st.ok()) return ReportError(st);
  if (Status st =
          s->Record(f.tenant, "user_updated", "user:" + f.username, action + " from the CLI");
      !st.ok())
    return ReportError(st);
  Print(f, {{"username", f.username}, {"updated", action}},
        "user " + f.username + ": " + action + "\n");
  return kExitOk;
}

int Keys(const GlobalOptions& g, const std::string& action, const AdminFlags& f) {
  auto s = Open(g);
  if (!s.ok()) return ReportError(s.status());
  if (action == "list") {
    auto list = store::AllPages<identity::ApiKeyInfo>(
        [&](const store::PageRequest& page) { return s->ids->ListApiKeys(f.tenant, page); });
    if (!list.ok()) return ReportError(list.status());
    json j = json::array();
    std::string text;
    for (const auto& k : *list) {
      j.push_back(identity::ToJson(k));
      text += k.id + "\t" + k.prefix + "\t" + k.name + "\t" +
              std::string(identity::RoleName(k.role)) + "\t" +
              std::string(ClassificationName(k.clearance)) + (k.revoked_at ? "\trevoked" : "") +
              "\n";
    }
    Print(f, j, text);
    return kExitOk;
  }
  if (action == "revoke") {
    if (Status st = s->ids->RevokeApiKey(f.tenant, f.id); !st.ok()) return ReportError(st);
    if (Status st = s->Record(f.tenant, "key_revoked", "key:" + f.id, "revoked from the CLI");
        !st.ok())
      return ReportError(st);
    Print(f, {{"id", f.id}, {"revoked", true}}, "key " + f.id + " revoked\n");
    return kExitOk;
  }
  identity::ApiKeyOptions o;
  o.name = f.name;
  auto role = RoleFlag(f.role, identity::Role::kMember);
  if (!role.ok()) return ReportError(role.status());
  auto clearance = ClearanceFlag(f.clearance);
  if (!clearance.ok()) return ReportError(clearance.status());
  o.role = *role;
  o.clearance = *clearance;
  o.scopes = f.scopes;
  o.limits = {std::max<int64_t>(f.rpm, 0), std::max<int64_t>(f.tpd, 0)};
  if (f.expires_in_days > 0) {
    o.expires_at = UnixSeconds() + f.expires_in_days * 86400;
  }
  auto key = s->ids->CreateApiKey(f.tenant, o);
  if (!key.ok()) return ReportError(key.status());
  if (Status st = s->Record(f.tenant, "key_created", "key:" + key->id, "created from the CLI");
      !st.ok())
    return ReportError(st);
  Print(f, {{"id", key->id}, {"prefix", key->prefix}, {"key", key->secret}},
        "key " + key->id + " created; the secret (shown once):\n" + key->secret + "\n");
  return kExitOk;
}

using Runner = int (*)(const GlobalOptions&, const std::string&, const AdminFlags&);

CLI::App* Action(CLI::App* parent, const char* name, const char* help, const GlobalOptions& global,
                 int* exit_code, const std::shared_ptr<AdminFlags>& f, Runner run) {
  auto* sub = parent->add_subcommand(name, help);
  sub->add_option("--tenant", f->tenant, "Tenant (default: the operator tenant 'default')");
  sub->add_flag("--json", f->json, "Print JSON");
  sub->callback([&global, exit_code, f, run, name] { *exit_code = run(global, name, *f); });
  return sub;
}

}  // namespace

void AddAdminCommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto f = std::make_shared<AdminFlags>();
  auto* tenants = app.add_subcommand("tenants", "List and create tenants, set their quotas");
  tenants->require_subcommand(1);
  Action(tenants, "list", "List tenants", global, exit_code, f, Tenants);
  auto* tc = Action(tenants, "create", "Create a tenant and print its owner API key once", global,
                    exit_code, f, Tenants);
  tc->add_option("id", f->id, "Tenant id (a-z, 0-9, '-', '_')")->required();
  tc->add_option("--name", f->name, "Display name")->required();
  auto* tl = Action(tenants, "set-limits", "Set a tenant's quotas", global, exit_code, f, Tenants);
  tl->add_option("id", f->id, "Tenant id")->required();
  tl->add_option("--requests-per-minute", f->rpm, "0 = unlimited")->check(CLI::NonNegativeNumber);
  tl->add_option("--tokens-per-day", f->tpd, "0 = unlimited")->check(CLI::NonNegativeNumber);

  auto* users = app.add_subcommand("users", "Manage a tenant's users");
  users->require_subcommand(1);
  Action(users, "list", "List users", global, exit_code, f, Users);
  auto* uc = Action(users, "create",
                    "Create a user; the password comes from --password-file, DAULAT_PASSWORD or "
                    "one line on stdin",
                    global, exit_code, f, Users);
  for (auto* sub : {uc, Action(users, "set", "Change role, clearance or password", global,
                               exit_code, f, Users)}) {
    sub->add_option("username", f->username, "User name")->required();
    sub->add_option("--role", f->role, "owner, admin, auditor, member or service");
    sub->add_option("--clearance", f->clearance, "TERBUKA .. RAHSIA BESAR");
    sub->add_option("--password-file", f->password_file, "File whose first line is the password");
  }
  for (const char* a : {"disable", "enable"}) {
    Action(users, a, a[0] == 'd' ? "Disable a user (ends their sessions)" : "Enable a user", global,
           exit_code, f, Users)
        ->add_option("username", f->username, "User name")
        ->required();
  }

  auto* keys = app.add_subcommand("keys", "Manage a tenant's API keys");
  keys->require_subcommand(1);
  Action(keys, "list", "List keys (never their secrets)", global, exit_code, f, Keys);
  auto* kc =
      Action(keys, "create", "Create a key and print its secret once", global, exit_code, f, Keys);
  kc->add_option("--name", f->name, "What the key is for")->required();
  kc->add_option("--role", f->role, "owner, admin, auditor, member (default) or service");
  kc->add_option("--clearance", f->clearance, "TERBUKA (default) .. RAHSIA BESAR");
  kc->add_option("--scope", f->scopes, "Limit the key to these scopes (repeatable)");
  kc->add_option("--expires-in-days", f->expires_in_days, "Days until it expires")
      ->check(CLI::Range(1, 3650));
  kc->add_option("--requests-per-minute", f->rpm, "0 = unlimited")->check(CLI::NonNegativeNumber);
  kc->add_option("--tokens-per-day", f->tpd, "0 = unlimited")->check(CLI::NonNegativeNumber);
  Action(keys, "revoke", "Revoke a key", global, exit_code, f, Keys)
      ->add_option("id", f->id, "Key id (key_...)")
      ->required();
}

}  // namespace daulat::cli
