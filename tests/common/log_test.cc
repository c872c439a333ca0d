#include "common/log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace daulat {
namespace {

// A loop that meets the same failure every second must not log it every
// second: the first failure, then reminders at most once per period.
TEST(RepeatedFailureTest, ReportsTheFirstFailureThenRemindsAtMostOncePerPeriod) {
  RepeatedFailure failures("writing to nowhere", std::chrono::seconds(3600));
  EXPECT_TRUE(failures.Failed("connection refused"));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(failures.Failed("connection refused"));
  EXPECT_EQ(failures.failures(), 1001);
  failures.Succeeded();
  EXPECT_EQ(failures.failures(), 0);
  EXPECT_TRUE(failures.Failed("connection refused"));  // a new outage is news again
}

TEST(RepeatedFailureTest, RemindsOnceThePeriodHasPassed) {
  RepeatedFailure failures("writing to nowhere", std::chrono::seconds(0));
  EXPECT_TRUE(failures.Failed("a"));
  EXPECT_TRUE(failures.Failed("b"));
}

}  // namespace
}  // namespace daulat
