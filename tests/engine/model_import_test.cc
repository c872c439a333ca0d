#include "engine/model_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/embedder.h"
#include "engine/model.h"
#include "engine/model_registry.h"
#include "tiny_bert.h"
#include "tiny_model.h"

namespace daulat::engine {
namespace {

using nlohmann::json;

constexpr int kHidden = 32;

using testing::WriteTinyBert;

class ModelImportTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("import"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ModelImportTest, ABertFolderBecomesAnEmbeddingModelWithAManifest) {
  WriteTinyBert(dir_ / "hf");
  ImportOptions o;
  o.name = "tiny-bert";
  o.licence = "test";
  o.max_classification = Classification::kSulit;
  uint64_t last = 0;
  o.progress = [&last](uint64_t done, uint64_t) { last = done; };
  auto m = ImportHuggingFaceModel(dir_ / "hf", dir_ / "models", o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_GT(last, 0u);
  EXPECT_EQ(m->architecture, "bert");
  EXPECT_EQ(m->capabilities, std::vector<std::string>{"embeddings"});
  EXPECT_EQ(m->max_classification, Classification::kSulit);
  // The registry accepts it (checksum verified), and it embeds.
  ModelRegistry registry(dir_ / "models");
  auto installed = registry.Find("tiny-bert");
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  auto model = Model::Load(installed->dir / installed->manifest.file);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto embedder = Embedder::Create(*model, {64, 1, "", ""});
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  EXPECT_EQ((*embedder)->dimensions(), kHidden);
  auto a = (*embedder)->Embed("the capital of malaysia is kuala lumpur");
  auto b = (*embedder)->Embed("the capital of malaysia is kuala lumpur");
  auto c = (*embedder)->Embed("ibu negara");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  double norm = 0, same = 0, other = 0;
  for (int i = 0; i < kHidden; ++i) {
    norm += (*a)[i] * (*a)[i];
    same += (*a)[i] * (*b)[i];
    other += (*a)[i] * (*c)[i];
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);
  EXPECT_NEAR(same, 1.0, 1e-4);
  EXPECT_LT(other, 0.9999);
  // Importing again under the same name is refused.
  EXPECT_EQ(ImportHuggingFaceModel(dir_ / "hf", dir_ / "models", o).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ModelImportTest, BadFoldersGetClearErrorsAndLeaveNothingBehind) {
  ImportOptions o;
  o.name = "x";
  EXPECT_EQ(ImportHuggingFaceModel(dir_ / "nope", dir_ / "models", o).status().code(),
            StatusCode::kNotFound);
  WriteTinyBert(dir_ / "hf");
  o.name = "Bad Name";
  EXPECT_EQ(ImportHuggingFaceModel(dir_ / "hf", dir_ / "models", o).status().code(),
            StatusCode::kInvalidArgument);
  o.name = "x";
  // Not a BERT.
  std::ofstream(dir_ / "llama" / "config.json").flush();
  std::filesystem::create_directories(dir_ / "llama");
  std::ofstream(dir_ / "llama" / "config.json") << R"({"architectures": ["LlamaForCausalLM"]})";
  auto llama = ImportHuggingFaceModel(dir_ / "llama", dir_ / "models", o);
  EXPECT_NE(llama.status().message().find("not supported"), std::string::npos);
  // A truncated weights file.
  std::filesystem::resize_file(dir_ / "hf" / "model.safetensors", 5000);
  auto truncated = ImportHuggingFaceModel(dir_ / "hf", dir_ / "models", o);
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find("model.safetensors"), std::string::npos);
  // A missing layer tensor.
  WriteTinyBert(dir_ / "short", /*drop_layer_tensor=*/true);
  auto missing = ImportHuggingFaceModel(dir_ / "short", dir_ / "models", o);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "models" / "x" / "manifest.json"));
}

}  // namespace
}  // namespace daulat::engine
