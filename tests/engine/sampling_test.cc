#include "engine/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace daulat::engine {
namespace {

Token NaiveArgMax(const std::vector<float>& v) {
  Token best = 0;
  for (Token i = 1; i < static_cast<Token>(v.size()); ++i) {
    if (v[i] > v[best] || std::isnan(v[best])) best = i;
  }
  return best;
}

TEST(ArgMaxTest, MatchesNaiveScanOnAllSizes) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (int n : {1, 2, 15, 16, 17, 31, 100, 262144}) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = normal(rng);
    EXPECT_EQ(ArgMax(v.data(), n), NaiveArgMax(v)) << n;
    v[static_cast<size_t>(n) / 2] = 100.0f;
    EXPECT_EQ(ArgMax(v.data(), n), n / 2) << n;
  }
}

TEST(ArgMaxTest, FirstOfTiesAndNaNsIgnored) {
  std::vector<float> v(40, 1.0f);
  v[7] = 5.0f;
  v[33] = 5.0f;
  EXPECT_EQ(ArgMax(v.data(), 40), 7);
  v[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(ArgMax(v.data(), 40), 7);
  std::vector<float> neg(20, -std::numeric_limits<float>::infinity());
  neg[19] = -1e30f;
  EXPECT_EQ(ArgMax(neg.data(), 20), 19);
}

TEST(SamplingParamsTest, ValidatesRanges) {
  SamplingParams p;
  EXPECT_TRUE(p.Validate().ok());
  auto bad = [](auto mutate) {
    SamplingParams q;
    mutate(q);
    return q.Validate().code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(bad([](auto& q) { q.temperature = 2.5f; }));
  EXPECT_TRUE(bad([](auto& q) { q.temperature = std::nanf(""); }));
  EXPECT_TRUE(bad([](auto& q) { q.top_p = 1.5f; }));
  EXPECT_TRUE(bad([](auto& q) { q.top_k = -1; }));
  EXPECT_TRUE(bad([](auto& q) { q.min_p = -0.1f; }));
  EXPECT_TRUE(bad([](auto& q) { q.repeat_penalty = 0; }));
  EXPECT_TRUE(bad([](auto& q) { q.presence_penalty = 3; }));
  EXPECT_TRUE(bad([](auto& q) { q.frequency_penalty = -3; }));
  EXPECT_TRUE(bad([](auto& q) { q.max_tokens = -5; }));
  EXPECT_TRUE(bad([](auto& q) { q.stop = std::vector<std::string>(17, "x"); }));
  EXPECT_TRUE(bad([](auto& q) { q.stop = {std::string(257, 'x')}; }));
}

}  // namespace
}  // namespace daulat::engine
