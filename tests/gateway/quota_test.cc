#include "gateway/quota.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "gateway/shared_quota_book.h"
#include "valkey_server.h"

namespace daulat::gateway {
namespace {

TEST(TokenBucketTest, RefillsOverTime) {
  TokenBucket b(3, 1);  // 3 tokens, one per second
  EXPECT_TRUE(b.TryTake(3, 100));
  EXPECT_FALSE(b.TryTake(1, 100));
  EXPECT_DOUBLE_EQ(b.WaitFor(1, 100), 1);
  EXPECT_FALSE(b.TryTake(1, 100.5));
  EXPECT_TRUE(b.TryTake(1, 101));
  EXPECT_TRUE(b.TryTake(3, 1000));  // never more than the capacity
  EXPECT_FALSE(b.TryTake(1, 1000));
  EXPECT_FALSE(b.TryTake(1, 999));  // a clock going backwards adds nothing
}

// Every QuotaBook counts alike: in this process, and in a real Valkey
// (Debian's redis-server, started by the test) for a cluster's nodes.
class QuotaBookTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "local") {
      owned_ = std::make_unique<LocalQuotaBook>(clock_);
    } else {
      server_ = std::make_unique<testing::ValkeyTestServer>();
      valkey_ = std::move(store::Valkey::Connect(server_->url())).value();
      owned_ = std::make_unique<SharedQuotaBook>(*valkey_, clock_);
    }
    book_ = owned_.get();
  }
  ManualClock clock_{1'800'000'000.0};  // some day, 08:00 UTC
  std::unique_ptr<testing::ValkeyTestServer> server_;
  std::unique_ptr<store::Valkey> valkey_;
  std::unique_ptr<QuotaBook> owned_;
  QuotaBook* book_ = nullptr;
};
INSTANTIATE_TEST_SUITE_P(Books, QuotaBookTest, ::testing::Values("local", "valkey"),
                         [](const auto& book) { return book.param; });

TEST_P(QuotaBookTest, RequestsPerMinutePerKey) {
  book_->SetKeyLimits("k1", "jpn", {2, 0});
  EXPECT_TRUE(book_->Admit("k1", "jpn").ok());
  EXPECT_TRUE(book_->Admit("k1", "jpn").ok());
  const Status third = book_->Admit("k1", "jpn");
  EXPECT_EQ(third.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(third.message().find("2 requests per minute; retry after 30 s"), std::string::npos)
      << third.message();
  EXPECT_TRUE(book_->Admit("k2", "jpn").ok());  // another key is unaffected
  clock_.Advance(30);
  EXPECT_TRUE(book_->Admit("k1", "jpn").ok());
}

TEST_P(QuotaBookTest, TenantLimitsCoverAllItsKeys) {
  book_->SetTenantLimits("jpn", {3, 0});
  EXPECT_TRUE(book_->Admit("a", "jpn").ok());
  EXPECT_TRUE(book_->Admit("b", "jpn").ok());
  EXPECT_TRUE(book_->Admit("c", "jpn").ok());
  EXPECT_EQ(book_->Admit("d", "jpn").code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(book_->Admit("d", "kkm").ok());
}

TEST_P(QuotaBookTest, TokensPerDayResetAtUtcMidnight) {
  book_->SetKeyLimits("k", "t", {0, 1000});
  EXPECT_TRUE(book_->Admit("k", "t").ok());
  book_->Settle("k", "t", 0, 600);
  EXPECT_TRUE(book_->Admit("k", "t").ok());
  book_->Settle("k", "t", 0, 500);  // the request that crosses the limit still completes
  EXPECT_EQ(book_->TokensToday("t", "k"), 1100);
  EXPECT_EQ(book_->TokensToday("t"), 1100);
  const Status st = book_->Admit("k", "t");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("1000 tokens for today"), std::string::npos);
  clock_.Set(std::ceil(clock_.Now() / 86400.0) * 86400.0 + 1);  // just after midnight UTC
  EXPECT_TRUE(book_->Admit("k", "t").ok());
  EXPECT_EQ(book_->TokensToday("t", "k"), 0);
}

// A signed-in user is "user:<name>" in every tenant: the same name in two
// tenants is two counts, and names that look like the book's own words
// count apart too.
TEST_P(QuotaBookTest, OneNameInTwoTenantsIsTwoCounts) {
  book_->SetKeyLimits("user:alice", "jpn", {1, 0});
  book_->SetKeyLimits("user:alice", "kkm", {1, 0});
  EXPECT_TRUE(book_->Admit("user:alice", "jpn").ok());
  EXPECT_TRUE(book_->Admit("user:alice", "kkm").ok());
  EXPECT_EQ(book_->Admit("user:alice", "jpn").code(), StatusCode::kResourceExhausted);
  for (const std::string odd : {"user:alice:held", "user:alice/x", "tenant:jpn", "key:jpn/u"}) {
    book_->SetKeyLimits(odd, "jpn", {5, 1000});
    EXPECT_TRUE(book_->Admit(odd, "jpn").ok()) << odd;
    auto granted = book_->Reserve(odd, "jpn", 10, 10);
    ASSERT_TRUE(granted.ok()) << odd << ": " << granted.status().ToString();
    book_->Settle(odd, "jpn", 20, 15);
    EXPECT_EQ(book_->TokensToday("jpn", odd), 15) << odd;
  }
  EXPECT_EQ(book_->TokensToday("kkm"), 0);
}

// Numbers from outside (a remote engine's usage) cannot wrap a count.
TEST_P(QuotaBookTest, OutlandishTokenCountsAreClamped) {
  book_->SetTenantLimits("jpn", {0, 1000});
  book_->Settle("k", "jpn", 0, -5000);
  EXPECT_EQ(book_->TokensToday("jpn"), 0);
  book_->Settle("k", "jpn", 0, INT64_MAX);
  EXPECT_EQ(book_->TokensToday("jpn"), kMostTokens);
  EXPECT_EQ(book_->Reserve("k", "jpn", INT64_MAX, 1).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace daulat::gateway
