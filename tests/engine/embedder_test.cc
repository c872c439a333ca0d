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

EmbedderOptions Options(uint32_t max_tokens) {
  EmbedderOptions o;
  o.max_tokens = max_tokens;
  o.threads = 1;
  return o;
}

TEST(EmbedderTest, PooledNormalisedAndDeterministic) {
  auto model = Model::Load(testing::SharedTinyModelPath());
  ASSERT_TRUE(model.ok());
  auto e = Embedder::Create(*model, Options(64));
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
  auto e = Embedder::Create(*model, Options(16));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->Embed("").status().code(), StatusCode::kInvalidArgument);
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "kata ";
  EXPECT_EQ((*e)->Embed(long_text).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE((*e)->Embed("still works").ok());
  EXPECT_EQ(Embedder::Create(*model, Options(0)).status().code(), StatusCode::kInvalidArgument);
}

TEST(EmbedderTest, QueriesAndPassagesGetTheModelsPrefixes) {
  auto model = Model::Load(testing::SharedTinyModelPath());
  ASSERT_TRUE(model.ok());
  EmbedderOptions o = Options(64);
  o.query_prefix = "query: ";
  o.passage_prefix = "passage: ";
  auto e = Embedder::Create(*model, o);
  ASSERT_TRUE(e.ok());
  auto query = (*e)->Embed("cuti sakit", EmbedPurpose::kQuery);
  auto passage = (*e)->Embed("cuti sakit", EmbedPurpose::kPassage);
  auto as_is = (*e)->Embed("cuti sakit");
  auto spelled = (*e)->Embed("query: cuti sakit");
  ASSERT_TRUE(query.ok() && passage.ok() && as_is.ok() && spelled.ok());
  EXPECT_EQ(*query, *spelled);
  EXPECT_NE(*query, *passage);
  EXPECT_NE(*query, *as_is);
}

TEST(EmbedderTest, TextLongerThanTheModelsContextIsEmbeddedInWindows) {
  auto model = Model::Load(testing::SharedTinyModelPath());
  ASSERT_TRUE(model.ok());
  const auto context = static_cast<uint32_t>((*model)->train_context_length());
  ASSERT_GT(context, 8u);
  auto e = Embedder::Create(*model, Options(context * 3));
  ASSERT_TRUE(e.ok());
  std::string text;
  while ((*model)->CountTokens(text) < size_t{context} * 2) text += "peraturan cuti rehat tahunan ";
  auto v = (*e)->Embed(text);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_NEAR(Dot(*v, *v), 1.0, 1e-4);
  // The first window alone is a different text, so a different vector.
  auto head = (*e)->Embed(text.substr(0, text.size() / 4));
  ASSERT_TRUE(head.ok());
  EXPECT_LT(Dot(*v, *head), 0.99999);
}

}  // namespace
}  // namespace daulat::engine
