// The one governed path to a model, on the tiny generated model: level and
// clearance, policy per level, the PII rule on every text the model reads
// (tools included), quotas with reserved tokens, the output rule, and
// updates handled off the scheduler's thread.
#include "gateway/generation_service.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "gateway/content_log.h"
#include "gateway/stages.h"
#include "governance/pii_guard.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::gateway {
namespace {

using identity::Role;

constexpr const char* kMyKad = "900101-14-5678";

class GenerationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("generation");
    db_ = testing::OpenTestDatabase(dir_);
    ids_ = std::move(identity::IdentityStore::Open(*db_, clock_)).value();
    policies_ = std::move(governance::PolicyStore::Open(*db_, clock_)).value();
    ASSERT_TRUE(ids_->CreateTenant("jpn", "JPN").ok());
    ASSERT_TRUE(testing::InstallTinyModel(dir_ / "models", "tiny").ok());
    ModelServeConfig config{"tiny", {}, true};
    config.scheduler.parallel = 2;
    config.scheduler.context_length = 4096;
    config.scheduler.threads = 1;
    host_ = std::move(ModelHost::Load(engine::ModelRegistry(dir_ / "models"), {config})).value();
    quotas_ = std::make_unique<LocalQuotaBook>(clock_);
    StartService([this](std::string_view t) { return guard_.Scan(t); });
  }
  void TearDown() override {
    host_->Stop(false);
    service_.reset();
    host_.reset();
    policies_.reset();
    ids_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartService(governance::PiiScanFn scan) {
    service_.reset();
    GenerationServiceOptions o;
    o.models = host_.get();
    o.policies = policies_.get();
    o.pii_scan = std::move(scan);
    o.quotas = quotas_.get();
    service_ = std::make_unique<GenerationService>(std::move(o));
  }
  std::string Key(Classification clearance, identity::Limits limits = {}) {
    identity::ApiKeyOptions o;
    o.name = "k";
    o.role = Role::kMember;
    o.clearance = clearance;
    o.limits = limits;
    return ids_->CreateApiKey("jpn", o)->secret;
  }
  // An authenticated /v1 request of `key`.
  RequestContext Request(const std::string& key, const std::string& declared = "") {
    RequestContext ctx;
    ctx.route = "/v1/chat/completions";
    ctx.permission = Permission::kInfer;
    ctx.authorization = "Bearer " + key;
    ctx.declared_classification = declared;
    KeyAuthenticator auth(*ids_, AnonymousAccess::kNone);
    EXPECT_TRUE(auth.OnRequest(ctx).ok());
    return ctx;
  }
  Result<std::unique_ptr<Generation>> Begin(RequestContext& ctx,
                                            const std::string& model = "tiny") {
    auto level = GenerationService::DeclaredLevel(ctx);
    if (!level.ok()) return level.status();
    return service_->Begin(ctx, model, *level);
  }
  static GenerationRequest ChatOf(const std::string& text, int max_tokens = 4) {
    GenerationRequest r;
    r.messages = {{"user", text}};
    r.params.temperature = 0;
    r.params.max_tokens = max_tokens;
    return r;
  }

  ManualClock clock_{1'800'000'000.0};
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<identity::IdentityStore> ids_;
  std::unique_ptr<governance::PolicyStore> policies_;
  std::unique_ptr<ModelHost> host_;
  std::unique_ptr<QuotaBook> quotas_;
  std::unique_ptr<GenerationService> service_;
  governance::PiiGuard guard_;
};

TEST_F(GenerationServiceTest, ARequestNeverExceedsTheCallersClearance) {
  const auto terhad = Key(Classification::kTerhad);
  auto ctx = Request(terhad);
  ASSERT_TRUE(Begin(ctx).ok());
  EXPECT_EQ(ctx.classification, Classification::kTerhad);  // default: the key's clearance
  // The prompt cache is the tenant's, the level's and the caller's own.
  EXPECT_EQ(ctx.caller.partition.rfind("tenant:jpn|TERHAD|", 0), 0u) << ctx.caller.partition;
  EXPECT_NE(ctx.caller.partition.find(ctx.caller.principal.subject), std::string::npos);
  // No name can make two callers' partitions equal: a user called
  // "a|g:hr" is not user "a" in group "hr".
  const auto partition_of = [this](const std::string& subject, std::vector<std::string> groups) {
    RequestContext c;
    c.caller.authenticated = true;
    c.caller.principal.tenant_id = "jpn";
    c.caller.principal.subject = subject;
    c.caller.principal.groups = std::move(groups);
    EXPECT_TRUE(service_->Begin(c, "tiny", Classification::kTerbuka).ok());
    return c.caller.partition;
  };
  EXPECT_NE(partition_of("user:a|g:hr", {}), partition_of("user:a", {"hr"}));
  EXPECT_NE(partition_of("user:a", {"hr;2:x"}), partition_of("user:a", {"hr", "x"}));
  EXPECT_EQ(partition_of("user:a", {"x", "hr"}), partition_of("user:a", {"hr", "x"}));

  ctx = Request(terhad, "public");
  ASSERT_TRUE(Begin(ctx).ok());
  EXPECT_EQ(ctx.classification, Classification::kTerbuka);

  ctx = Request(terhad, "SULIT");
  const auto over = Begin(ctx);
  EXPECT_EQ(over.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(over.status().message().find("clearance is TERHAD"), std::string::npos);

  ctx = Request(terhad, "ULTRA");
  EXPECT_EQ(Begin(ctx).status().code(), StatusCode::kInvalidArgument);
  ctx = Request(terhad);
  EXPECT_EQ(Begin(ctx, "no-such-model").status().code(), StatusCode::kNotFound);
}

TEST_F(GenerationServiceTest, PolicyDecidesModelsAndPiiPerLevel) {
  ASSERT_TRUE(policies_
                  ->Put("jpn", R"({"levels": {
        "TERBUKA": {"models": ["*"], "pii_prompt": "mask"},
        "TERHAD": {"models": ["other-model"], "pii_prompt": "block"}}})",
                        "key:t")
                  .ok());
  const auto key = Key(Classification::kTerhad);
  auto ctx = Request(key, "TERBUKA");
  auto g = Begin(ctx);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // An echoed completion: the model reads the masked prompt, the caller
  // gets their own values back.
  GenerationRequest r;
  r.chat = false;
  r.prompt = std::string("MyKad saya ") + kMyKad + ", emel ali@contoh.com.my";
  r.echo = true;
  r.params.max_tokens = 2;
  const auto out = (*g)->Run(r);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(ctx.contents.size(), 1u);
  EXPECT_EQ(ctx.contents[0], "MyKad saya <MYKAD_1>, emel <EMAIL_1>");
  EXPECT_EQ(ctx.pii_counts.at("MYKAD"), 1);
  EXPECT_EQ(out.text.rfind(r.prompt, 0), 0u) << out.text;
  EXPECT_EQ(ctx.prompt_tokens, out.stats.prompt_tokens);

  auto terhad = Request(key);
  const auto refused = Begin(terhad);  // TERHAD: only other-model
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("does not allow the model 'tiny'"), std::string::npos)
      << refused.status().message();
}

TEST_F(GenerationServiceTest, PiiBlockModeAndAFailingGuardBothRefuse) {
  ASSERT_TRUE(policies_
                  ->Put("jpn",
                        R"({"levels": {"TERBUKA": {"models": ["*"], "pii_prompt": "block"}}})",
                        "key:t")
                  .ok());
  const auto key = Key(Classification::kTerbuka);
  auto ctx = Request(key);
  auto g = Begin(ctx);
  ASSERT_TRUE(g.ok());
  const auto blocked = (*g)->Run(ChatOf("Call me at 012-345 6789"));
  EXPECT_EQ(blocked.status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(blocked.status.message().find("PHONE x1"), std::string::npos);
  EXPECT_EQ(ctx.completion_tokens, 0u);  // the model never ran
  EXPECT_TRUE(ctx.contents.empty());     // nor does the content log keep what was blocked

  StartService([](std::string_view) -> std::vector<governance::PiiFinding> {
    throw std::runtime_error("recogniser crashed");
  });
  auto broken = Request(key);
  auto g2 = Begin(broken);
  ASSERT_TRUE(g2.ok());
  const auto failed = (*g2)->Run(ChatOf("anything"));
  EXPECT_EQ(failed.status.code(), StatusCode::kInternal);
  broken.http_status = 500;
  broken.error_message = failed.status.message();
  const auto record = AuditRecordFor(broken);
  EXPECT_EQ(record.decision, "deny");
  EXPECT_NE(record.reason.find("PII guard failed"), std::string::npos) << record.reason;
}

TEST_F(GenerationServiceTest, PiiInToolsIsMaskedForTheModelAndRestoredForTheCaller) {
  const auto key = Key(Classification::kTerbuka);
  auto ctx = Request(key);
  auto g = Begin(ctx);
  ASSERT_TRUE(g.ok());
  GenerationRequest r = ChatOf("Find the officer", 1000);
  // An earlier tool call's arguments, a tool description and a parameter
  // schema all carry personal data; the grammar makes the model write the
  // (masked) enum value back.
  r.messages.insert(r.messages.begin(),
                    AssistantToolCallsMessage(
                        {{"call_1", "lookup", std::string(R"({"ic":")") + kMyKad + R"("})"}}, ""));
  r.messages.insert(r.messages.begin(), {"user", "Look up the earlier case"});
  r.tools.tools = {
      {"lookup", "Look up a case; the duty officer is ali@contoh.com.my",
       std::string(R"({"type":"object","properties":{"ic":{"type":"string","enum":[")") + kMyKad +
           R"("]}},"required":["ic"]})"}};
  r.tools.choice = ToolChoice::kNamed;
  r.tools.named = "lookup";
  const auto out = (*g)->Run(r);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  for (const auto& text : ctx.contents) {
    EXPECT_EQ(text.find(kMyKad), std::string::npos) << text;
    EXPECT_EQ(text.find("ali@contoh"), std::string::npos) << text;
  }
  EXPECT_EQ(ctx.pii_counts.at("MYKAD"), 2);  // the earlier call and the schema
  EXPECT_EQ(ctx.pii_counts.at("EMAIL"), 1);
  ASSERT_FALSE(out.tool_calls.empty());
  const auto args = nlohmann::json::parse(out.tool_calls[0].arguments, nullptr, false);
  ASSERT_TRUE(args.is_object()) << out.tool_calls[0].arguments;
  EXPECT_EQ(args.value("ic", ""), kMyKad) << out.tool_calls[0].arguments;
}

TEST_F(GenerationServiceTest, QuotasAdmitRequestsAndReserveTokensBeforeTheModelRuns) {
  const auto limited = Key(Classification::kTerbuka, {2, 0});
  const auto admit = [&] {
    auto ctx = Request(limited);
    return Begin(ctx).status();
  };
  EXPECT_TRUE(admit().ok());
  EXPECT_TRUE(admit().ok());
  const Status third = admit();
  EXPECT_EQ(third.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(third.message().find("retry after"), std::string::npos) << third.message();
  clock_.Advance(30);  // half a minute refills one request
  EXPECT_TRUE(admit().ok());

  // 60 tokens a day: a call is cut to what is left, and then nothing is.
  ASSERT_TRUE(ids_->SetTenantLimits("jpn", {0, 60}).ok());
  const auto key = Key(Classification::kTerbuka);
  auto ctx = Request(key);
  auto g = Begin(ctx);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto r = ChatOf("Apakah ibu negara Malaysia?", 500);
  r.params.ignore_eos = true;
  const auto out = (*g)->Run(r);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.finish, engine::FinishReason::kLength);
  EXPECT_EQ(out.stats.prompt_tokens + out.stats.completion_tokens, 60u);
  EXPECT_EQ(quotas_->TokensToday("jpn"), 60);
  auto next = Request(key);
  EXPECT_EQ(Begin(next).status().code(), StatusCode::kResourceExhausted);
  clock_.Advance(86400);  // a new UTC day
  auto tomorrow = Request(key);
  EXPECT_TRUE(Begin(tomorrow).ok());
}

TEST_F(GenerationServiceTest, AnAnswerWithoutMaxTokensHoldsOnlyWhatItCanUse) {
  // 5,000 tokens a day for the tenant. A long answer without max_tokens
  // holds at most the model's room for an answer (2,048 - prompt here), not
  // the tenant's whole day, so a colleague's call still runs meanwhile.
  ASSERT_TRUE(ids_->SetTenantLimits("jpn", {0, 5000}).ok());
  auto ctx_a = Request(Key(Classification::kTerbuka));
  auto ctx_b = Request(Key(Classification::kTerbuka));
  auto a = Begin(ctx_a);
  auto b = Begin(ctx_b);
  ASSERT_TRUE(a.ok() && b.ok());
  std::promise<GenerationOutcome> a_done;
  GenerationCallbacks callbacks;
  callbacks.on_done = [&a_done](GenerationOutcome&& o) { a_done.set_value(std::move(o)); };
  auto endless = ChatOf("Tell me everything.", -1);
  endless.params.ignore_eos = true;
  ASSERT_TRUE((*a)->Start(endless, std::move(callbacks)).status.ok());
  const auto out = (*b)->Run(ChatOf("Hai", 8));
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  (*a)->Cancel();
  a_done.get_future().wait();
  // The running call's hold is released when it ends: what is left is free again.
  EXPECT_LE(quotas_->TokensToday("jpn"), 5000);
  auto ctx_c = Request(Key(Classification::kTerbuka));
  EXPECT_TRUE(Begin(ctx_c).ok());
}

TEST(QuotaReservationTest, TokensHeldByRunningCallsAreBackInASecondNotTomorrow) {
  const ManualClock clock(1'800'000'000.0);
  LocalQuotaBook book(clock);
  book.SetTenantLimits("t", {0, 100});
  ASSERT_EQ(*book.Reserve("k1", "t", 10, 80), 80);
  const auto held = book.Reserve("k2", "t", 20, 10);  // 10 left while the first call runs
  ASSERT_EQ(held.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(held.status().message().find("retry after 1 s"), std::string::npos)
      << held.status().message();
  book.Settle("k1", "t", 90, 30);  // it used 30
  EXPECT_EQ(*book.Reserve("k2", "t", 20, 10), 10);
  book.Settle("k2", "t", 30, 70);
  const auto spent = book.Reserve("k3", "t", 1, 1);  // 100 used today
  ASSERT_EQ(spent.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(spent.status().message().find("retry after 1 s"), std::string::npos);
}

TEST_F(GenerationServiceTest, ASlowConsumerNeverStallsOtherStreams) {
  // The first call's consumer blocks inside its first piece until the second
  // call has finished: were updates handled on the scheduler's thread, the
  // second call could never finish.
  const auto key = Key(Classification::kTerbuka);
  auto ctx_a = Request(key);
  auto ctx_b = Request(key);
  auto a = Begin(ctx_a);
  auto b = Begin(ctx_b);
  ASSERT_TRUE(a.ok() && b.ok());
  std::promise<void> b_done;
  auto b_finished = b_done.get_future().share();
  std::promise<void> a_done;
  GenerationCallbacks slow;
  slow.on_text = [b_finished](const std::string&) {
    b_finished.wait_for(std::chrono::seconds(30));
  };
  slow.on_done = [&a_done](GenerationOutcome&&) { a_done.set_value(); };
  auto long_call = ChatOf("one", 40);
  long_call.params.ignore_eos = true;
  ASSERT_TRUE((*a)->Start(long_call, std::move(slow)).status.ok());
  auto short_call = ChatOf("two", 8);
  short_call.params.ignore_eos = true;
  const auto out = (*b)->Run(short_call);
  EXPECT_TRUE(out.status.ok());
  b_done.set_value();
  EXPECT_EQ(b_finished.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  a_done.get_future().wait();
}

TEST_F(GenerationServiceTest, FullContentLoggingKeepsTheMaskedQuestionPassagesAndAnswer) {
  ASSERT_TRUE(policies_
                  ->Put("jpn",
                        R"({"levels": {"TERHAD": {"models": ["*"], "pii_prompt": "mask",
                            "content_logging": "full", "retention_days": 30}}})",
                        "key:t")
                  .ok());
  auto log = std::move(ContentLog::Open(*db_, clock_)).value();
  const auto key = Key(Classification::kTerhad);
  auto ctx = Request(key);
  ctx.route = "/api/v1/ask";
  ctx.permission = Permission::kReadDocuments;
  auto g = service_->Begin(ctx, "", Classification::kTerhad);  // Lumin: the first chat model
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ((*g)->model(), "tiny");
  const std::string passage = std::string("Pemohon ") + kMyKad + " layak.";
  auto guarded = (*g)->GuardPassages("Siapa layak?", {passage});
  ASSERT_TRUE(guarded.ok());
  ASSERT_EQ(guarded->passages.size(), 1u);
  EXPECT_EQ(guarded->passages[0], "Pemohon <MYKAD_1> layak.");
  const auto out = (*g)->Run(ChatOf(guarded->question + "\n" + guarded->passages[0]));
  ASSERT_TRUE(out.status.ok());
  ctx.http_status = 200;
  log->OnComplete(ctx);
  ASSERT_TRUE(log->Flush().ok());
  auto rows = db_->Query("SELECT prompt, answer FROM content_log WHERE tenant_id = 'jpn'", {});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NE((*rows)[0].Text(0).find("Siapa layak?\nPemohon <MYKAD_1> layak."), std::string::npos)
      << (*rows)[0].Text(0);
  EXPECT_EQ((*rows)[0].Text(0).find(kMyKad), std::string::npos);
  EXPECT_EQ((*rows)[0].Text(1), out.text);
  log->Stop();
}

}  // namespace
}  // namespace daulat::gateway
