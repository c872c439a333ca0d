#include "engine/embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "tiny_model.h"

namespace daulat::engine {
namespace {

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

TEST(EmbedderTest, PooledNormalisedAndDeterministic) {
  auto model = Model::Load(testing::SharedTinyModelPath());
  ASSERT_TRUE(model.ok());
  auto e = Embedder::Create(*model, {64, 1});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->dimensions(), 64);
  auto a = (*e)->Embed("Ibu negara Malaysia ialah Kuala Lumpur.");
  auto a2 = (*e)->Embed("Ibu negara Malaysia ialah Kuala Lumpur.");
  auto b = (*e)->Embed("吉隆坡");
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok()) << a.status().ToString();
  EXPECT_EQ(a->size(), 64u);
  EXPECT_NEAR(Dot(*a, *a), 1.0, 1e-4);
  EXPECT_NEAR(Dot(*b, *b), 1.0, 1e-4);
  EXPECT_EQ(*a, *a2);
  EXPECT_LT(Dot(*a, *b), 0.9999);
}

TEST(EmbedderTest, RejectsEmptyAndOverlongInput) {
  auto model = Model::Load(testing::SharedTinyModelPath());
  ASSERT_TRUE(model.ok());
  auto e = Embedder::Create(*model, {16, 1});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->Embed("").status().code(), StatusCode::kInvalidArgument);
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "kata ";
  EXPECT_EQ((*e)->Embed(long_text).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE((*e)->Embed("still works").ok());
  EXPECT_EQ(Embedder::Create(*model, {0, 1}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace daulat::engine
