#include "knowledge/vector_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

std::vector<float> Unit(std::mt19937& rng, size_t dim) {
  std::normal_distribution<float> n(0, 1);
  std::vector<float> v(dim);
  double norm = 0;
  for (auto& x : v) {
    x = n(rng);
    norm += static_cast<double>(x) * x;
  }
  for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

TEST(VectorIndexTest, NearestRemoveGrowAndSurviveASaveAndLoad) {
  std::mt19937 rng(5);
  VectorIndex index(16, 4);  // grows past its first capacity
  std::vector<std::vector<float>> vs;
  for (int i = 0; i < 300; ++i) {
    vs.push_back(Unit(rng, 16));
    ASSERT_TRUE(index.Add(1000 + i, vs.back()).ok());
  }
  EXPECT_EQ(index.size(), 300u);
  auto near = index.Nearest(vs[7], 3);
  ASSERT_EQ(near.size(), 3u);
  EXPECT_EQ(near[0].first, 1007);
  EXPECT_NEAR(near[0].second, 1.0, 1e-5);
  EXPECT_GE(near[0].second, near[1].second);
  index.Remove(1007);
  index.Remove(1007);  // twice is harmless
  EXPECT_EQ(index.size(), 299u);
  EXPECT_NE(index.Nearest(vs[7], 1)[0].first, 1007);
  EXPECT_TRUE(index.Get(1007).empty());
  EXPECT_EQ(index.Get(1008), vs[8]);
  EXPECT_EQ(index.Add(1, std::vector<float>(3, 0.f)).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(index.Nearest(std::vector<float>(3, 0.f), 3).empty());

  const auto dir = testing::MakeTempDir("vector_index");
  ASSERT_TRUE(index.Save(dir / "idx").ok());
  auto loaded = VectorIndex::Load(dir / "idx", 16);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->size(), 299u);
  EXPECT_EQ((*loaded)->Nearest(vs[9], 1)[0].first, 1009);
  std::ofstream(dir / "bad") << "not an index";
  EXPECT_EQ(VectorIndex::Load(dir / "bad", 16).status().code(), StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

// An erased passage's embedding must not stay in the saved index file.
TEST(VectorIndexTest, ErasedVectorsLeaveNothingInTheSavedFile) {
  std::mt19937 rng(7);
  VectorIndex index(32);
  std::vector<std::vector<float>> vs;
  for (int64_t id = 0; id < 40; ++id) {
    vs.push_back(Unit(rng, 32));
    ASSERT_TRUE(index.Add(id, vs.back()).ok());
  }
  for (int64_t id : {3, 17}) ASSERT_TRUE(index.Remove(id));
  const auto dir = testing::MakeTempDir("vectors");
  const auto contains = [&](int64_t id) {
    EXPECT_TRUE(index.Save(dir / "index.bin").ok());
    std::ifstream in(dir / "index.bin", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string vector(reinterpret_cast<const char*>(vs[static_cast<size_t>(id)].data()),
                             32 * sizeof(float));
    return bytes.find(vector) != std::string::npos;
  };
  EXPECT_FALSE(contains(3));
  EXPECT_FALSE(contains(17));
  EXPECT_TRUE(contains(4));  // the check can see a vector that is there
  // Many erasures: the graph is rebuilt without them, and still finds the rest.
  for (int64_t id = 20; id < 40; ++id) ASSERT_TRUE(index.Remove(id));
  EXPECT_FALSE(contains(25));
  auto loaded = VectorIndex::Load(dir / "index.bin", 32);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->size(), 18u);
  EXPECT_EQ((*loaded)->Nearest(vs[5], 1).at(0).first, 5);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace daulat::knowledge
