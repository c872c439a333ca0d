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
  book_->SetKeyLimits("k1", {2, 0});
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
  book_->SetKeyLimits("k", {0, 1000});
  EXPECT_TRUE(book_->Admit("k", "t").ok());
  book_->Settle("k", "t", 0, 600);
  EXPECT_TRUE(book_->Admit("k", "t").ok());
  book_->Settle("k", "t", 0, 500);  // the request that crosses the limit still completes
  EXPECT_EQ(book_->TokensToday("key:k"), 1100);
  EXPECT_EQ(book_->TokensToday("tenant:t"), 1100);
  const Status st = book_->Admit("k", "t");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("1000 tokens for today"), std::string::npos);
  clock_.Set(std::ceil(clock_.Now() / 86400.0) * 86400.0 + 1);  // just after midnight UTC
  EXPECT_TRUE(book_->Admit("k", "t").ok());
  EXPECT_EQ(book_->TokensToday("key:k"), 0);
}

}  // namespace
}  // namespace daulat::gateway
