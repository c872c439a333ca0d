#include <gtest/gtest.h>

#include "engine/model_manifest.h"

namespace daulat::engine {
namespace {

const std::string kSha(64, 'a');

std::string Manifest(const std::string& extra) {
  return R"({"name":"tiny","file":"model.gguf","sha256":")" + kSha + "\"" + extra + "}";
}

TEST(ManifestTest, ParsesAndRoundTrips) {
  auto m = ParseManifest(Manifest(
      R"(,"size_bytes":10,"max_classification":"secret","capabilities":["chat"],"stop":["\nUser:"],"chat_template_file":"t.jinja")"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "tiny");
  EXPECT_EQ(m->size_bytes, 10u);
  EXPECT_EQ(m->max_classification, Classification::kRahsia);
  EXPECT_TRUE(m->HasCapability("chat"));
  EXPECT_FALSE(m->HasCapability("embeddings"));
  auto again = ParseManifest(ManifestToJson(*m));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stop, m->stop);
  EXPECT_EQ(again->chat_template_file, "t.jinja");
  EXPECT_EQ(again->max_classification, Classification::kRahsia);
}

TEST(ManifestTest, DefaultsToLowestClassification) {
  auto m = ParseManifest(Manifest(""));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->max_classification, Classification::kTerbuka);
}

TEST(ManifestTest, RejectsBadInput) {
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[1,2]",
      R"({"file":"m.gguf","sha256":")" + kSha + "\"}",
      R"({"name":"Bad Name","file":"m.gguf","sha256":")" + kSha + "\"}",
      R"({"name":"x","file":"../../etc/passwd","sha256":")" + kSha + "\"}",
      R"({"name":"x","file":"m.gguf","sha256":"ABC"})",
      R"({"name":"x","file":"m.gguf","sha256":")" + std::string(64, 'G') + "\"}",
      Manifest(R"(,"size_bytes":-1)"),
      Manifest(R"(,"max_classification":"ULTRA")"),
      Manifest(R"(,"capabilities":"chat")"),
      Manifest(R"(,"stop":[""])"),
      Manifest(R"(,"chat_template_file":"../t.jinja")"),
      Manifest(R"(,"name":5)"),
  };
  for (const auto& text : bad) {
    auto m = ParseManifest(text);
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(ManifestTest, ModelNames) {
  EXPECT_TRUE(IsValidModelName("gemma3-270m"));
  EXPECT_TRUE(IsValidModelName("e5.small_v2"));
  EXPECT_FALSE(IsValidModelName(""));
  EXPECT_FALSE(IsValidModelName("-x"));
  EXPECT_FALSE(IsValidModelName("a/b"));
  EXPECT_FALSE(IsValidModelName("UPPER"));
  EXPECT_FALSE(IsValidModelName(std::string(65, 'a')));
}

}  // namespace
}  // namespace daulat::engine
