#include "engine/model.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tiny_model.h"

namespace daulat::engine {
namespace {

std::shared_ptr<const Model> LoadTiny() {
  auto m = Model::Load(testing::SharedTinyModelPath());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : nullptr;
}

TEST(ModelTest, LoadsGeneratedModelAndReportsShape) {
  auto model = LoadTiny();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->vocab_size(), 32000);
  EXPECT_EQ(model->embedding_size(), 64);
  EXPECT_EQ(model->train_context_length(), 512);
  EXPECT_EQ(model->Metadata("general.name"), "daulat-tiny-test");
  EXPECT_EQ(model->Metadata("no.such.key"), "");
  EXPECT_GT(model->parameter_count(), 0u);
}

TEST(ModelTest, TokenizeRoundTripsMultilingualText) {
  auto model = LoadTiny();
  ASSERT_NE(model, nullptr);
  for (const std::string text : {"Apakah ibu negara Malaysia?", "The capital is Kuala Lumpur.",
                                 "吉隆坡是马来西亚的首都", "மலேசியாவின் தலைநகரம்"}) {
    const auto tokens = model->Tokenize(text, /*add_special=*/false, false);
    ASSERT_FALSE(tokens.empty());
    EXPECT_EQ(model->Detokenize(tokens), text);
    std::string pieces;
    for (auto t : tokens) pieces += model->TokenPiece(t);
    EXPECT_EQ(pieces.substr(pieces.find_first_not_of(' ')), text);
  }
  const auto with_bos = model->Tokenize("hello", true, false);
  const auto without = model->Tokenize("hello", false, false);
  EXPECT_EQ(with_bos.size(), without.size() + 1);
  EXPECT_EQ(model->CountTokens("hello"), with_bos.size());
  EXPECT_TRUE(model->Tokenize("", false, false).empty());
}

TEST(ModelTest, RejectsMissingAndNonModelFiles) {
  EXPECT_EQ(Model::Load("/nonexistent/model.gguf").status().code(), StatusCode::kNotFound);
  const auto dir = testing::MakeTempDir("model");
  std::ofstream(dir / "text.gguf") << "this is not a model, just some text that is long enough";
  auto r = Model::Load(dir / "text.gguf");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("not a GGUF"), std::string::npos);
  std::ofstream(dir / "short.gguf") << "GGUF";
  EXPECT_EQ(Model::Load(dir / "short.gguf").status().code(), StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

TEST(ModelTest, TruncatedOrCorruptGgufIsDataLossNotACrash) {
  const auto dir = testing::MakeTempDir("model");
  const auto src = testing::SharedTinyModelPath();
  const auto size = std::filesystem::file_size(src);
  std::string bytes(size, '\0');
  std::ifstream(src, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(size));
  for (size_t keep : {size_t{24}, size_t{4096}, size / 2, size - 1}) {
    std::ofstream(dir / "cut.gguf", std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(keep));
    auto r = Model::Load(dir / "cut.gguf");
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "kept " << keep << " bytes";
  }
  std::string garbled = bytes;
  for (size_t i = 24; i < 2048; ++i) garbled[i] = static_cast<char>(0xff);  // smash the metadata
  std::ofstream(dir / "garbled.gguf", std::ios::binary)
      .write(garbled.data(), static_cast<std::streamsize>(garbled.size()));
  EXPECT_EQ(Model::Load(dir / "garbled.gguf").status().code(), StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace daulat::engine
