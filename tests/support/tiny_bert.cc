#include "tiny_bert.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace daulat::testing {
namespace {

using nlohmann::json;

constexpr int kHidden = 32, kLayers = 2, kFfn = 64, kPositions = 64;

}  // namespace

// A tiny random BERT in Hugging Face form (see tiny_bert.h): config.json, tokenizer.json
// (WordPiece), model.safetensors (F32, plus an I64 position_ids and a pooler
// that the import skips).
void WriteTinyBert(const std::filesystem::path& dir, bool drop_layer_tensor) {
  std::filesystem::create_directories(dir / "1_Pooling");
  const std::vector<std::string> vocab = {
      "[PAD]", "[UNK]", "[CLS]",  "[SEP]", "[MASK]", "the", "capital", "of", "malaysia",
      "is",    "kuala", "lumpur", "ibu",   "negara", "##s", "##an",    "."};
  json v = json::object();
  for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  json added = json::array();
  for (int i = 0; i < 5; ++i)
    added.push_back({{"id", i}, {"content", vocab[i]}, {"special", true}});
  std::ofstream(dir / "tokenizer.json")
      << json{{"model", {{"type", "WordPiece"}, {"vocab", v}}}, {"added_tokens", added}}.dump();
  std::ofstream(dir / "config.json") << json{
      {"architectures", {"BertModel"}}, {"hidden_size", kHidden},
      {"num_hidden_layers", kLayers},   {"num_attention_heads", 2},
      {"intermediate_size", kFfn},      {"max_position_embeddings", kPositions},
      {"vocab_size", vocab.size()},     {"type_vocab_size", 2},
      {"layer_norm_eps", 1e-12}}.dump();
  std::ofstream(dir / "1_Pooling" / "config.json") << R"({"pooling_mode_mean_tokens": true})";
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {"embeddings.word_embeddings.weight", {static_cast<int64_t>(vocab.size()), kHidden}},
      {"embeddings.position_embeddings.weight", {kPositions, kHidden}},
      {"embeddings.token_type_embeddings.weight", {2, kHidden}},
      {"embeddings.LayerNorm.weight", {kHidden}},
      {"embeddings.LayerNorm.bias", {kHidden}},
      {"pooler.dense.weight", {kHidden, kHidden}}};
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* n : {"attention.self.query", "attention.self.key", "attention.self.value",
                          "attention.output.dense"}) {
      shapes.push_back({p + n + ".weight", {kHidden, kHidden}});
      shapes.push_back({p + n + ".bias", {kHidden}});
    }
    if (!(drop_layer_tensor && l == 1))
      shapes.push_back({p + "intermediate.dense.weight", {kFfn, kHidden}});
    shapes.push_back({p + "intermediate.dense.bias", {kFfn}});
    shapes.push_back({p + "output.dense.weight", {kHidden, kFfn}});
    shapes.push_back({p + "output.dense.bias", {kHidden}});
    for (const char* n : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      shapes.push_back({p + n + ".weight", {kHidden}});
      shapes.push_back({p + n + ".bias", {kHidden}});
    }
  }
  json header = json::object();
  std::string data;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  for (const auto& [name, shape] : shapes) {
    size_t n = 1;
    for (const int64_t d : shape) n *= static_cast<size_t>(d);
    const bool norm_weight = name.find("LayerNorm.weight") != std::string::npos;
    const size_t begin = data.size();
    for (size_t i = 0; i < n; ++i) {
      const float f = norm_weight ? 1.0f : normal(rng);
      data.append(reinterpret_cast<const char*>(&f), 4);
    }
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
  }
  const size_t begin = data.size();
  for (int64_t i = 0; i < kPositions; ++i) data.append(reinterpret_cast<const char*>(&i), 8);
  header["embeddings.position_ids"] = {
      {"dtype", "I64"}, {"shape", {1, kPositions}}, {"data_offsets", {begin, data.size()}}};
  const std::string h = header.dump();
  std::string file(8, '\0');
  uint64_t len = h.size();
  for (int i = 0; i < 8; ++i)
    file[static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
  std::ofstream(dir / "model.safetensors", std::ios::binary) << file << h << data;
}

}  // namespace daulat::testing
