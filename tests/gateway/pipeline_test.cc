#include "gateway/pipeline.h"

#include <gtest/gtest.h>

namespace daulat::gateway {
namespace {

class CountingStage : public Stage {
 public:
  explicit CountingStage(std::vector<std::string>* log, std::string name, bool fail = false)
      : log_(log), name_(std::move(name)), fail_(fail) {}
  std::string_view name() const override { return name_; }
  Status OnRequest(RequestContext&) override {
    log_->push_back("request:" + name_);
    return fail_ ? PermissionDenied(name_ + " says no") : Status::Ok();
  }
  void OnComplete(const RequestContext&) override { log_->push_back("complete:" + name_); }

 private:
  std::vector<std::string>* log_;
  std::string name_;
  bool fail_;
};

TEST(PipelineTest, RunsStagesInOrderAndCompletesInReverse) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<CountingStage>(&log, "a"));
  stages.push_back(std::make_unique<CountingStage>(&log, "b"));
  const Pipeline p(std::move(stages));
  RequestContext ctx;
  ASSERT_TRUE(p.Admit(ctx).ok());
  p.Complete(ctx);
  EXPECT_EQ(log, (std::vector<std::string>{"request:a", "request:b", "complete:b", "complete:a"}));
  EXPECT_EQ(p.stage_names(), (std::vector<std::string_view>{"a", "b"}));
}

// A stage that learns later whether its record was kept (as the audit
// writer does, from its own thread).
class LateRecorder : public Stage {
 public:
  std::string_view name() const override { return "late"; }
  Status OnRequest(RequestContext&) override { return Status::Ok(); }
  void OnCompleteThen(const RequestContext&, const Recorded& recorded) override {
    later = recorded;
  }
  Recorded later;
};

TEST(PipelineTest, TheAnswerWaitsUntilEveryStageHasRecordedIt) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<CountingStage>(&log, "a"));
  auto late = std::make_unique<LateRecorder>();
  auto* recorder = late.get();
  stages.push_back(std::move(late));
  const Pipeline p(std::move(stages));
  for (const bool kept : {true, false}) {
    std::vector<bool> told;
    p.Complete(RequestContext{}, [&](bool recorded) { told.push_back(recorded); });
    EXPECT_TRUE(told.empty());  // not before the late stage answers
    recorder->later(kept);
    EXPECT_EQ(told, std::vector<bool>{kept});
  }
}

TEST(PipelineTest, FirstFailingStageStopsTheChain) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<CountingStage>(&log, "a", /*fail=*/true));
  stages.push_back(std::make_unique<CountingStage>(&log, "b"));
  const Pipeline p(std::move(stages));
  RequestContext ctx;
  const Status st = p.Admit(ctx);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(log, (std::vector<std::string>{"request:a"}));
}

TEST(BearerTokenAuthenticatorTest, ChecksTheKeyAndSetsThePartition) {
  BearerTokenAuthenticator auth("s3cret");
  RequestContext ctx;
  EXPECT_EQ(auth.OnRequest(ctx).code(), StatusCode::kUnauthenticated);
  ctx.authorization = "Bearer wrong";
  EXPECT_EQ(auth.OnRequest(ctx).code(), StatusCode::kUnauthenticated);
  ctx.authorization = "Basic czNjcmV0";
  EXPECT_EQ(auth.OnRequest(ctx).code(), StatusCode::kUnauthenticated);
  ctx.authorization = "Bearer s3cret";
  ASSERT_TRUE(auth.OnRequest(ctx).ok());
  EXPECT_TRUE(ctx.caller.authenticated);
  EXPECT_EQ(ctx.caller.partition, ctx.caller.key_id);
  EXPECT_EQ(ctx.caller.key_id.find("s3cret"), std::string::npos);  // never the key itself
}

TEST(BearerTokenAuthenticatorTest, NoKeyConfiguredMeansAnonymous) {
  BearerTokenAuthenticator auth("");
  RequestContext ctx;
  ctx.authorization = "Bearer anything";
  ASSERT_TRUE(auth.OnRequest(ctx).ok());
  EXPECT_FALSE(ctx.caller.authenticated);
  EXPECT_EQ(ctx.caller.partition, "anonymous");
  EXPECT_EQ(ctx.caller.principal.clearance, Classification::kTerbuka);
  EXPECT_EQ(ctx.caller.principal.role, identity::Role::kMember);
}

}  // namespace
}  // namespace daulat::gateway
