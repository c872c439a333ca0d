#include <gtest/gtest.h>

#include <fstream>

#include "engine/model_registry.h"
#include "tiny_model.h"

namespace daulat::engine {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("registry"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(RegistryTest, MissingFolderIsEmpty) {
  ModelRegistry r(dir_ / "nope");
  EXPECT_TRUE(r.List().models.empty());
  auto f = r.Find("gemma3-270m");
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("bootstrap"), std::string::npos);
}

TEST_F(RegistryTest, ListsValidModelsAndReportsBrokenOnes) {
  ASSERT_TRUE(testing::InstallTinyModel(dir_, "tiny-b").ok());
  ASSERT_TRUE(testing::InstallTinyModel(dir_, "tiny-a").ok());
  std::filesystem::create_directories(dir_ / "broken");
  std::ofstream(dir_ / "broken" / "manifest.json") << "{not json";
  std::filesystem::create_directories(dir_ / "empty");
  ModelRegistry r(dir_);
  const auto listing = r.List();
  ASSERT_EQ(listing.models.size(), 2u);
  EXPECT_EQ(listing.models[0].manifest.name, "tiny-a");
  EXPECT_EQ(listing.models[1].manifest.name, "tiny-b");
  EXPECT_EQ(listing.problems.size(), 2u);
  auto missing = r.Find("other");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("tiny-a, tiny-b"), std::string::npos);
  EXPECT_TRUE(r.Find("tiny-a").ok());
}

TEST_F(RegistryTest, VerifyAcceptsIntactAndRefusesTamperedFiles) {
  auto m = testing::InstallTinyModel(dir_, "tiny");
  ASSERT_TRUE(m.ok());
  ModelRegistry r(dir_);
  ASSERT_TRUE(r.Verify(*m).ok());
  EXPECT_TRUE(std::filesystem::exists(m->dir / ".verified"));
  EXPECT_TRUE(r.EnsureVerified(*m).ok());

  // Same size, one byte changed: only the hash can tell.
  {
    std::fstream f(m->gguf_path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(m->gguf_path()) - 10));
    f.put('\x7f');
  }
  auto st = r.EnsureVerified(*m);  // the stamp no longer matches the file
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(m->dir / ".verified"));
}

TEST_F(RegistryTest, TruncatedAndMissingFiles) {
  auto m = testing::InstallTinyModel(dir_, "tiny");
  ASSERT_TRUE(m.ok());
  ModelRegistry r(dir_);
  std::filesystem::resize_file(m->gguf_path(), 1000);
  auto st = r.Verify(*m);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("truncated"), std::string::npos);
  std::filesystem::remove(m->gguf_path());
  EXPECT_EQ(r.Verify(*m).code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, ChatTemplateFileIsRead) {
  auto m = testing::InstallTinyModel(dir_, "tiny");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m->ReadChatTemplate(), "");
  m->manifest.chat_template_file = "t.jinja";
  EXPECT_EQ(m->ReadChatTemplate().status().code(), StatusCode::kNotFound);
  std::ofstream(m->dir / "t.jinja") << "{{ messages[0].content }}";
  EXPECT_EQ(*m->ReadChatTemplate(), "{{ messages[0].content }}");
}

}  // namespace
}  // namespace daulat::engine
