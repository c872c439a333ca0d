#include "tiny_model.h"

#include <ggml.h>
#include <gguf.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <vector>

#include "common/sha256.h"

namespace daulat::testing {
namespace {

struct GgufDeleter {
  void operator()(gguf_context* c) const { gguf_free(c); }
};
struct GgmlDeleter {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

}  // namespace

std::filesystem::path VocabPath() {
  return DAULAT_TEST_VOCAB;
}

std::filesystem::path MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) std::abort();
  return templ;
}

std::filesystem::path SharedTinyModelPath() {
  static const std::filesystem::path path = [] {
    auto p = MakeTempDir("tiny-model") / "tiny.gguf";
    const Status st = WriteTinyModel(TinyModelSpec{}, p);
    if (!st.ok()) std::abort();
    return p;
  }();
  return path;
}

Status WriteTinyModel(const TinyModelSpec& spec, const std::filesystem::path& out) {
  const std::filesystem::path vocab_path = spec.vocab.empty() ? VocabPath() : spec.vocab;
  gguf_init_params vocab_params{/*no_alloc=*/true, /*ctx=*/nullptr};
  std::unique_ptr<gguf_context, GgufDeleter> vocab(
      gguf_init_from_file(vocab_path.c_str(), vocab_params));
  if (!vocab) return NotFound("cannot read vocabulary " + vocab_path.string());
  const int64_t tokens_key = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
  const auto n_vocab = static_cast<int64_t>(gguf_get_arr_n(vocab.get(), tokens_key));

  std::unique_ptr<gguf_context, GgufDeleter> g(gguf_init_empty());
  gguf_set_kv(g.get(), vocab.get());
  gguf_set_val_str(g.get(), "general.architecture", "llama");
  gguf_set_val_str(g.get(), "general.name", "daulat-tiny-test");
  gguf_set_val_u32(g.get(), "general.file_type", 0);  // all F32
  gguf_set_val_u32(g.get(), "llama.context_length", spec.context_length);
  gguf_set_val_u32(g.get(), "llama.embedding_length", static_cast<uint32_t>(spec.n_embd));
  gguf_set_val_u32(g.get(), "llama.block_count", static_cast<uint32_t>(spec.n_layer));
  gguf_set_val_u32(g.get(), "llama.feed_forward_length", static_cast<uint32_t>(spec.n_ff));
  gguf_set_val_u32(g.get(), "llama.attention.head_count", static_cast<uint32_t>(spec.n_head));
  gguf_set_val_u32(g.get(), "llama.attention.head_count_kv", static_cast<uint32_t>(spec.n_head));
  gguf_set_val_u32(g.get(), "llama.rope.dimension_count",
                   static_cast<uint32_t>(spec.n_embd / spec.n_head));
  gguf_set_val_f32(g.get(), "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  gguf_set_val_str(g.get(), "tokenizer.chat_template", spec.chat_template.c_str());

  const int64_t e = spec.n_embd;
  const int64_t f = spec.n_ff;
  struct Shape {
    std::string name;
    int64_t ne0, ne1;
  };
  std::vector<Shape> shapes = {{"token_embd.weight", e, n_vocab}, {"output_norm.weight", e, 1}};
  for (int i = 0; i < spec.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_output"})
      shapes.push_back({b + n + ".weight", e, e});
    shapes.push_back({b + "attn_norm.weight", e, 1});
    shapes.push_back({b + "ffn_norm.weight", e, 1});
    shapes.push_back({b + "ffn_gate.weight", e, f});
    shapes.push_back({b + "ffn_up.weight", e, f});
    shapes.push_back({b + "ffn_down.weight", f, e});
  }
  size_t bytes = 0;
  for (const auto& s : shapes) bytes += static_cast<size_t>(s.ne0 * s.ne1) * sizeof(float) + 1024;
  ggml_init_params params{bytes, nullptr, /*no_alloc=*/false};
  std::unique_ptr<ggml_context, GgmlDeleter> ctx(ggml_init(params));
  std::mt19937 rng(spec.seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  for (const auto& s : shapes) {
    ggml_tensor* t = s.ne1 == 1 ? ggml_new_tensor_1d(ctx.get(), GGML_TYPE_F32, s.ne0)
                                : ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, s.ne0, s.ne1);
    ggml_set_name(t, s.name.c_str());
    auto* data = static_cast<float*>(t->data);
    const bool norm = s.name.find("norm") != std::string::npos;
    for (int64_t i = 0; i < s.ne0 * s.ne1; ++i) data[i] = norm ? 1.0f : normal(rng);
    gguf_add_tensor(g.get(), t);
  }
  if (!gguf_write_to_file(g.get(), out.c_str(), /*only_meta=*/false)) {
    return Internal("cannot write " + out.string());
  }
  return Status::Ok();
}

Result<engine::InstalledModel> InstallTinyModel(const std::filesystem::path& models_dir,
                                                const std::string& name,
                                                const TinyModelSpec& spec) {
  const auto dir = models_dir / name;
  std::filesystem::create_directories(dir);
  const auto gguf = dir / "model.gguf";
  DAULAT_RETURN_IF_ERROR(WriteTinyModel(spec, gguf));
  auto sha = Sha256File(gguf);
  if (!sha.ok()) return sha.status();
  engine::ModelManifest m;
  m.name = name;
  m.file = "model.gguf";
  m.sha256 = *sha;
  m.size_bytes = std::filesystem::file_size(gguf);
  m.licence = "test";
  m.origin = "generated by the test suite";
  m.architecture = "llama";
  m.context_length = spec.context_length;
  m.quantisation = "F32";
  m.max_classification = Classification::kTerhad;
  m.capabilities = {"chat", "completion", "embeddings"};
  std::ofstream(dir / "manifest.json") << engine::ManifestToJson(m);
  return engine::InstalledModel{m, dir};
}

}  // namespace daulat::testing
