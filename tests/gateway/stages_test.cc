#include "gateway/stages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "gateway/content_log.h"
#include "gateway/generation_service.h"
#include "gateway/usage_meter.h"
#include "governance/audit_log.h"
#include "governance/audit_writer.h"
#include "governance/checkpoint.h"
#include "governance/pii_guard.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::gateway {
namespace {

// Makes every write of an audit record fail (as a full disk would), or
// stops doing so, on either engine.
// Makes every insert into `table` fail (a full disk), or stops doing so.
Status FailWrites(store::Database& db, const std::string& table, bool fail) {
  if (db.dialect() == store::Dialect::kSqlite) {
    return db.Execute(fail ? "CREATE TRIGGER disk_full BEFORE INSERT ON " + table +
                                 " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                           : std::string("DROP TRIGGER disk_full"));
  }
  return db.Execute(fail ? "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
                           "BEGIN RAISE EXCEPTION 'disk full'; END $$; CREATE TRIGGER disk_full "
                           "BEFORE INSERT ON " +
                               table + " FOR EACH ROW EXECUTE FUNCTION disk_full()"
                         : "DROP TRIGGER disk_full ON " + table + "; DROP FUNCTION disk_full()");
}

Status FailAuditWrites(store::Database& db, bool fail) {
  return FailWrites(db, "audit_records", fail);
}

using identity::Role;

class StagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("stages");
    db_ = testing::OpenTestDatabase(dir_);
    ids_ = std::move(identity::IdentityStore::Open(*db_, clock_)).value();
    policies_ = std::move(governance::PolicyStore::Open(*db_, clock_)).value();
    ASSERT_TRUE(ids_->CreateTenant("jpn", "JPN").ok());
    ASSERT_TRUE(ids_->CreateTenant("kkm", "KKM").ok());
  }
  void TearDown() override {
    policies_.reset();
    ids_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Key(const std::string& tenant, Role role, Classification clearance,
                  std::vector<std::string> scopes = {}) {
    identity::ApiKeyOptions o;
    o.name = "k";
    o.role = role;
    o.clearance = clearance;
    o.scopes = std::move(scopes);
    return ids_->CreateApiKey(tenant, o)->secret;
  }
  // Authenticates and authorises an inference request, then records on it
  // what the generation service decides (level, the tenant's rules, the
  // texts as the model reads them, masked): what the completion stages read.
  Status Infer(RequestContext& ctx) {
    KeyAuthenticator auth(*ids_, AnonymousAccess::kNone);
    Authoriser authorise;
    DAULAT_RETURN_IF_ERROR(auth.OnRequest(ctx));
    DAULAT_RETURN_IF_ERROR(authorise.OnRequest(ctx));
    auto level = GenerationService::DeclaredLevel(ctx);
    if (!level.ok()) return level.status();
    auto policy = policies_->Current(ctx.caller.principal.tenant_id);
    if (!policy.ok()) return policy.status();
    ctx.policy_version = policy->version;
    ctx.rules = policy->at(*level);
    governance::PiiMasker masker([this](std::string_view t) { return guard_.Scan(t); });
    std::vector<governance::PiiFinding> found;
    for (auto& text : ctx.contents) text = masker.Mask(text, &found);
    for (const auto& f : found) ++ctx.pii_counts[std::string(governance::PiiTypeName(f.type))];
    return Status::Ok();
  }
  RequestContext Chat(const std::string& key, std::vector<std::string> contents = {"hi"}) {
    RequestContext ctx;
    ctx.route = "/v1/chat/completions";
    ctx.permission = Permission::kInfer;
    ctx.authorization = "Bearer " + key;
    ctx.model = "gemma3-270m";
    ctx.contents = std::move(contents);
    return ctx;
  }

  ManualClock clock_{1'800'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<identity::IdentityStore> ids_;
  std::unique_ptr<governance::PolicyStore> policies_;
  governance::PiiGuard guard_;
};

TEST_F(StagesTest, AuthenticatesKeysAndSessionsAndRefusesEverythingElseAlike) {
  KeyAuthenticator auth(*ids_, AnonymousAccess::kNone);
  RequestContext ctx;
  ctx.authorization = "Bearer " + Key("jpn", Role::kMember, Classification::kTerhad);
  ASSERT_TRUE(auth.OnRequest(ctx).ok());
  EXPECT_EQ(ctx.caller.principal.tenant_id, "jpn");
  EXPECT_EQ(ctx.caller.principal.clearance, Classification::kTerhad);
  EXPECT_EQ(ctx.caller.partition, "tenant:jpn");

  ASSERT_TRUE(
      ids_->CreateUser("jpn", "aminah", "kata-laluan-panjang", Role::kAdmin, Classification::kSulit)
          .ok());
  auto user = ids_->Login("jpn", "aminah", "kata-laluan-panjang");
  auto session = ids_->CreateSession(*user, 3600);
  ASSERT_TRUE(session.ok());
  RequestContext s;
  s.authorization = "Bearer " + session->token;
  ASSERT_TRUE(auth.OnRequest(s).ok());
  EXPECT_EQ(s.caller.principal.subject, "user:aminah");
  EXPECT_EQ(s.caller.principal.role, Role::kAdmin);
  // Sessions expire; signing out ends them; disabling the user ends them.
  clock_.Advance(3601);
  EXPECT_EQ(auth.OnRequest(s).code(), StatusCode::kUnauthenticated);
  clock_.Advance(-3601);
  auto again = ids_->CreateSession(*user, 3600);
  s.authorization = "Bearer " + again->token;
  ASSERT_TRUE(auth.OnRequest(s).ok());
  identity::UserUpdate disable;
  disable.disabled = true;
  ASSERT_TRUE(ids_->UpdateUser("jpn", "aminah", disable).ok());
  EXPECT_EQ(auth.OnRequest(s).code(), StatusCode::kUnauthenticated);

  for (const char* bad :
       {"", "Bearer ", "Basic abc", "Bearer dlt_nope", "Bearer dls_nope", "bearer x"}) {
    RequestContext b;
    b.authorization = bad;
    EXPECT_EQ(auth.OnRequest(b).code(), StatusCode::kUnauthenticated) << bad;
  }
  // Anonymous only where the server allows it: /v1, from a local client.
  KeyAuthenticator open(*ids_, AnonymousAccess::kLocalClients);
  const auto local = [](const char* route, const char* authorization = "") {
    RequestContext c;
    c.route = route;
    c.authorization = authorization;
    c.from_local_client = true;
    return c;
  };
  RequestContext a = local("/v1/chat/completions");
  ASSERT_TRUE(open.OnRequest(a).ok());
  EXPECT_FALSE(a.caller.authenticated);
  EXPECT_EQ(a.caller.principal.clearance, Classification::kTerbuka);
  RequestContext placeholder = local("/v1/models", "Bearer unused");  // what OpenAI SDKs send
  ASSERT_TRUE(open.OnRequest(placeholder).ok());
  EXPECT_FALSE(placeholder.caller.authenticated);
  RequestContext mistyped = local("/v1/chat/completions", "Bearer dlt_aaaaaaaa_wrong");
  EXPECT_EQ(open.OnRequest(mistyped).code(), StatusCode::kUnauthenticated);
  // Never /api (search, uploads, management), even from a local client.
  for (const char* route : {"/api/v1/search", "/api/v1/collections/{id}/documents", "/api/v1/me"}) {
    RequestContext api = local(route);
    api.permission = Permission::kReadDocuments;
    EXPECT_EQ(open.OnRequest(api).code(), StatusCode::kUnauthenticated) << route;
  }
  // A web page elsewhere (foreign Host or Origin: from_local_client false).
  RequestContext page = local("/v1/chat/completions");
  page.from_local_client = false;
  EXPECT_EQ(open.OnRequest(page).code(), StatusCode::kUnauthenticated);
  // Behind a proxy that authenticates: /v1 from anywhere, still never /api.
  KeyAuthenticator proxied(*ids_, AnonymousAccess::kBehindProxy);
  EXPECT_TRUE(proxied.OnRequest(page).ok());
  RequestContext api = local("/api/v1/search");
  api.permission = Permission::kReadDocuments;
  EXPECT_EQ(proxied.OnRequest(api).code(), StatusCode::kUnauthenticated);
  // Sign-in needs no caller anywhere.
  RequestContext login = local("/api/v1/auth/login");
  login.permission = Permission::kPublic;
  login.from_local_client = false;
  EXPECT_TRUE(KeyAuthenticator(*ids_, AnonymousAccess::kNone).OnRequest(login).ok());
}

TEST_F(StagesTest, RolesAndScopesDecideWhatACallerMayDo) {
  EXPECT_FALSE(RoleAllows(Role::kAuditor, Permission::kInfer));  // never content
  EXPECT_TRUE(RoleAllows(Role::kAuditor, Permission::kReadAudit));
  EXPECT_TRUE(RoleAllows(Role::kAuditor, Permission::kReadUsage));
  EXPECT_FALSE(RoleAllows(Role::kAuditor, Permission::kManagePolicy));
  EXPECT_FALSE(RoleAllows(Role::kMember, Permission::kManageIdentity));
  EXPECT_FALSE(RoleAllows(Role::kService, Permission::kReadAudit));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Permission::kManageIdentity));
  EXPECT_FALSE(RoleAllows(Role::kAdmin, Permission::kManageTenants));

  KeyAuthenticator auth(*ids_, AnonymousAccess::kNone);
  Authoriser authorise;
  const auto check = [&](const std::string& key, Permission p) {
    RequestContext ctx;
    ctx.route = "/x";
    ctx.permission = p;
    ctx.authorization = "Bearer " + key;
    Status st = auth.OnRequest(ctx);
    return st.ok() ? authorise.OnRequest(ctx) : st;
  };
  const auto auditor = Key("jpn", Role::kAuditor, Classification::kTerbuka);
  EXPECT_EQ(check(auditor, Permission::kInfer).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(check(auditor, Permission::kReadAudit).ok());
  const auto scoped = Key("jpn", Role::kAdmin, Classification::kTerbuka, {"inference", "policy"});
  EXPECT_TRUE(check(scoped, Permission::kInfer).ok());
  EXPECT_TRUE(check(scoped, Permission::kReadPolicy).ok());  // a write scope covers reading
  const Status no_scope = check(scoped, Permission::kManageIdentity);
  EXPECT_EQ(no_scope.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(no_scope.message().find("'identity'"), std::string::npos);
  // Owners of other tenants do not manage tenants.
  const auto owner = Key("jpn", Role::kOwner, Classification::kTerbuka);
  EXPECT_EQ(check(owner, Permission::kManageTenants).code(), StatusCode::kPermissionDenied);
}

TEST_F(StagesTest, AuditRecordsHoldHashesAndCountsButNeverContentOrKeys) {
  const auto key = Key("jpn", Role::kMember, Classification::kTerbuka);
  auto ctx = Chat(key, {"emel saya ali@contoh.com.my"});
  ASSERT_TRUE(Infer(ctx).ok());
  ctx.http_status = 200;
  ctx.output_text = "Baik.";
  ctx.prompt_tokens = 12;
  const auto r = AuditRecordFor(ctx);
  const std::string leaf = governance::CanonicalRecord(r);
  EXPECT_EQ(r.tenant_id, "jpn");
  EXPECT_EQ(r.action, "inference");
  EXPECT_EQ(r.classification, "TERBUKA");
  EXPECT_EQ(r.decision, "allow");
  EXPECT_EQ(r.pii_counts.at("EMAIL"), 1);
  EXPECT_EQ(r.content_hash.rfind("sha256:", 0), 0u);
  EXPECT_EQ(leaf.find("ali@contoh"), std::string::npos) << leaf;
  EXPECT_EQ(leaf.find(key.substr(4)), std::string::npos) << leaf;
  EXPECT_EQ(leaf.find("Baik"), std::string::npos) << leaf;

  // content_logging = none: not even a hash.
  ASSERT_TRUE(policies_
                  ->Put("jpn",
                        R"({"levels": {"TERBUKA": {"models": ["*"], "content_logging": "none"}}})",
                        "key:t")
                  .ok());
  auto quiet = Chat(key, {"hi"});
  ASSERT_TRUE(Infer(quiet).ok());
  quiet.http_status = 200;
  EXPECT_EQ(AuditRecordFor(quiet).content_hash, "");

  RequestContext failed;
  failed.route = "/v1/models";
  failed.permission = Permission::kListModels;
  failed.http_status = 401;
  failed.error_message = "invalid, expired or revoked API key";
  const auto denied = AuditRecordFor(failed);
  EXPECT_EQ(denied.action, "auth_failed");
  EXPECT_EQ(denied.actor, "unauthenticated");
  EXPECT_EQ(denied.decision, "deny");
}

TEST_F(StagesTest, UsageIsSummedPerDayKeyAndModelAndSurvivesTheMeter) {
  {
    auto meter = std::move(UsageMeter::Open(*db_)).value();
    meter->Record("jpn", "2026-11-28", "key:a", "m1", 10, 5);
    meter->Record("jpn", "2026-11-29", "key:a", "m1", 20, 5);
    meter->Record("jpn", "2026-11-29", "key:b", "m2", 1, 1);
    meter->Record("kkm", "2026-11-29", "key:c", "m1", 100, 100);
    auto by_day = meter->Query("jpn", {});
    ASSERT_TRUE(by_day.ok());
    ASSERT_EQ(by_day->size(), 2u);
    EXPECT_EQ((*by_day)[1].day, "2026-11-29");
    EXPECT_EQ((*by_day)[1].requests, 2);
    EXPECT_EQ((*by_day)[1].prompt_tokens, 21);
    UsageQuery q;
    q.by_day = false;
    q.by_key = true;
    q.from_day = "2026-11-29";
    auto by_key = meter->Query("jpn", q);
    ASSERT_EQ(by_key->size(), 2u);
    EXPECT_EQ((*by_key)[0].key_id, "key:a");
    EXPECT_EQ((*by_key)[0].prompt_tokens, 20);
    meter->Record("jpn", "2026-11-29", "key:a", "m1", 1, 0);
  }  // destroyed: flushes
  auto meter = std::move(UsageMeter::Open(*db_)).value();
  UsageQuery total;
  total.by_day = false;
  auto all = meter->Query("jpn", total);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].requests, 4);
  EXPECT_EQ((*all)[0].prompt_tokens, 32);
  EXPECT_TRUE(meter->Query("nobody", total)->empty());
}

TEST_F(StagesTest, FullContentLoggingKeepsTextsForTheRetentionPeriodOnly) {
  auto log = std::move(ContentLog::Open(*db_, clock_)).value();
  ASSERT_TRUE(policies_
                  ->Put("jpn", R"({"levels": {
        "TERBUKA": {"models": ["*"], "content_logging": "full", "retention_days": 7},
        "TERHAD": {"models": ["*"], "content_logging": "hashes"}}})",
                        "key:t")
                  .ok());
  const auto key = Key("jpn", Role::kMember, Classification::kTerhad);
  auto full = Chat(key, {"emel ali@contoh.com.my"});
  full.declared_classification = "TERBUKA";
  ASSERT_TRUE(Infer(full).ok());
  full.http_status = 200;
  full.output_text = "Baik.";
  log->OnComplete(full);
  auto hashed = Chat(key, {"rahsia kecil"});
  ASSERT_TRUE(Infer(hashed).ok());
  hashed.http_status = 200;
  log->OnComplete(hashed);
  ASSERT_TRUE(log->Flush().ok());
  auto rows = db_->Query("SELECT tenant_id, prompt, answer FROM content_log");
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(1), "emel <EMAIL_1>");  // what the model saw: masked
  EXPECT_EQ((*rows)[0].Text(2), "Baik.");
  clock_.Advance(7 * 86400.0);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_TRUE(db_->Query("SELECT 1 FROM content_log")->empty());
}

// A database that refuses writes for a while (a restart, a failover) loses
// no content record: what a failed flush held is written by the next one,
// in order, after what came since.
TEST_F(StagesTest, ContentRecordsSurviveAFailedFlush) {
  auto log = std::move(ContentLog::Open(*db_, clock_)).value();
  ASSERT_TRUE(policies_
                  ->Put("jpn", R"({"levels": {"TERHAD": {"models": ["*"],
                        "content_logging": "full", "retention_days": 7}}})",
                        "key:t")
                  .ok());
  const auto key = Key("jpn", Role::kMember, Classification::kTerhad);
  const auto complete = [&](const std::string& text) {
    auto ctx = Chat(key, {text});
    ASSERT_TRUE(Infer(ctx).ok());
    ctx.http_status = 200;
    ctx.output_text = "ok";
    log->OnComplete(ctx);
  };
  ASSERT_TRUE(FailWrites(*db_, "content_log", true).ok());
  complete("pertama");
  complete("kedua");
  EXPECT_FALSE(log->Flush().ok());
  complete("ketiga");
  EXPECT_FALSE(log->Flush().ok());
  ASSERT_TRUE(FailWrites(*db_, "content_log", false).ok());
  ASSERT_TRUE(log->Flush().ok());
  log->Stop();
  const auto rows = db_->Query("SELECT prompt FROM content_log");
  ASSERT_EQ(rows->size(), 3u);
  std::vector<std::string> prompts;
  for (const auto& r : *rows) prompts.push_back(r.Text(0));
  std::sort(prompts.begin(), prompts.end());
  EXPECT_EQ(prompts, (std::vector<std::string>{"kedua", "ketiga", "pertama"}));
  EXPECT_EQ(log->dropped(), 0);
}

// An audit log that cannot be written (a full disk, here a trigger that
// fails every insert): answers are withheld and new requests refused until
// it can be written again, unless the operator chose to serve.
TEST_F(StagesTest, AnAuditLogThatCannotBeWrittenRefusesAnswers) {
  auto signer = governance::CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x2a'));
  auto log = std::move(governance::AuditLog::Open(*db_, *signer)).value();
  governance::AuditWriter writer(*log, std::chrono::hours(1));
  AuditStage refuse(writer);
  AuditStage serve(writer, AuditFailure::kServe);
  const auto record = [&](AuditStage& stage, const RequestContext& ctx) {
    std::promise<bool> told;
    stage.OnCompleteThen(ctx, [&](bool recorded) { told.set_value(recorded); });
    return told.get_future().get();
  };
  RequestContext ctx;
  ctx.route = "/v1/chat/completions";
  ctx.http_status = 200;
  EXPECT_TRUE(record(refuse, ctx));
  ASSERT_TRUE(FailAuditWrites(*db_, true).ok());
  EXPECT_FALSE(record(refuse, ctx));
  EXPECT_EQ(refuse.OnRequest(ctx).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(record(serve, ctx));  // the operator's choice: served, loss logged
  EXPECT_TRUE(serve.OnRequest(ctx).ok());
  // Health checks and console files are not audited, so never held back.
  RequestContext health = ctx;
  health.audited = false;
  EXPECT_TRUE(record(refuse, health));
  ASSERT_TRUE(FailAuditWrites(*db_, false).ok());
  EXPECT_TRUE(record(refuse, ctx));
  EXPECT_TRUE(refuse.OnRequest(ctx).ok());
  writer.Stop();
  const auto rows = db_->Query("SELECT COUNT(*) FROM audit_records");
  EXPECT_EQ((*rows)[0].Int(0), 2);  // before the fault and after it
}

// A stream cannot wait for its final record, so the record that it opened
// must be kept before its first piece leaves.
TEST_F(StagesTest, AStreamOpensOnlyOnRecord) {
  auto signer = governance::CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x2a'));
  auto log = std::move(governance::AuditLog::Open(*db_, *signer)).value();
  governance::AuditWriter writer(*log, std::chrono::hours(1));
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<AuditStage>(writer));
  const Pipeline pipeline(std::move(stages));
  const auto open = [&](const RequestContext& ctx) {
    std::promise<bool> told;
    pipeline.OpenStream(ctx, [&](bool may) { told.set_value(may); });
    return told.get_future().get();
  };
  RequestContext ctx;
  ctx.route = "/v1/chat/completions";
  ctx.audit_action = "inference";
  EXPECT_TRUE(open(ctx));
  ASSERT_TRUE(FailAuditWrites(*db_, true).ok());
  EXPECT_FALSE(open(ctx));
  ASSERT_TRUE(FailAuditWrites(*db_, false).ok());
  writer.Stop();
  const auto rows = db_->Query("SELECT record FROM audit_records");
  ASSERT_EQ(rows->size(), 1u);
  const std::string record = (*rows)[0].Text(0);
  EXPECT_NE(record.find(R"("action":"stream_opened")"), std::string::npos) << record;
  EXPECT_NE(record.find(R"("decision":"allow")"), std::string::npos) << record;
}

}  // namespace
}  // namespace daulat::gateway
