#include "common/sha256.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tiny_model.h"

namespace daulat {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, FileMatchesInMemoryAndReportsProgress) {
  const auto dir = testing::MakeTempDir("sha");
  const std::string data(3 * 1024 * 1024 + 17, 'x');
  std::ofstream(dir / "f", std::ios::binary) << data;
  uint64_t last = 0;
  auto hash = Sha256File(dir / "f", [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, data.size());
    last = done;
    return true;
  });
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(*hash, Sha256Hex(data));
  EXPECT_EQ(last, data.size());
  std::filesystem::remove_all(dir);
}

TEST(Sha256Test, MissingFileAndCancellation) {
  EXPECT_EQ(Sha256File("/nonexistent/file").status().code(), StatusCode::kNotFound);
  const auto dir = testing::MakeTempDir("sha");
  std::ofstream(dir / "f") << std::string(2 << 20, 'y');
  auto r = Sha256File(dir / "f", [](uint64_t, uint64_t) { return false; });
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace daulat
