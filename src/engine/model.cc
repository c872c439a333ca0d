#include "engine/model.h"

#include <llama.h>

#include <array>
#include <cstring>
#include <fstream>

#include "engine/llama_runtime.h"

namespace daulat::engine {

Status CheckGgufHeader(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open model file " + path.string());
  std::array<char, 24> header{};
  in.read(header.data(), header.size());
  if (in.gcount() < static_cast<std::streamsize>(header.size())) {
    return DataLoss(path.string() + " is too short to be a GGUF model (truncated?)");
  }
  if (std::memcmp(header.data(), "GGUF", 4) != 0) {
    return DataLoss(path.string() + " is not a GGUF model (bad magic bytes)");
  }
  uint32_t version = 0;
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  std::memcpy(&version, header.data() + 4, sizeof version);
  std::memcpy(&n_tensors, header.data() + 8, sizeof n_tensors);
  std::memcpy(&n_kv, header.data() + 16, sizeof n_kv);
  if (version < 2 || version > 3) {
    return DataLoss(path.string() + " has unsupported GGUF version " + std::to_string(version));
  }
  if (n_tensors == 0 || n_tensors > (1u << 20) || n_kv > (1u << 20)) {
    return DataLoss(path.string() + " has an implausible GGUF header (corrupt?)");
  }
  return Status::Ok();
}

Result<std::shared_ptr<const Model>> Model::Load(const std::filesystem::path& path,
                                                 const ModelOptions& options) {
  DAULAT_RETURN_IF_ERROR(CheckGgufHeader(path));
  EnsureLlamaRuntime();
  llama_model_params params = llama_model_default_params();
  params.n_gpu_layers = options.gpu_layers;
  if (!options.use_mmap)
    params.load_mode = LLAMA_LOAD_MODE_NONE;  // default: auto (mmap where it helps)
  llama_model* raw = llama_model_load_from_file(path.c_str(), params);
  if (raw == nullptr) {
    return DataLoss(
        "libllama could not load " + path.string() +
        " (corrupt, truncated, or an unsupported architecture; run with -v for details)");
  }
  return std::shared_ptr<const Model>(new Model(raw, path));
}

Model::Model(llama_model* model, std::filesystem::path path)
    : model_(model), vocab_(llama_model_get_vocab(model)), path_(std::move(path)) {}

Model::~Model() {
  llama_model_free(model_);
}

std::vector<Token> Model::Tokenize(std::string_view text, bool add_special,
                                   bool parse_special) const {
  const auto len = static_cast<int32_t>(text.size());
  std::vector<Token> tokens(text.size() + 8);
  int32_t n = llama_tokenize(vocab_, text.data(), len, tokens.data(),
                             static_cast<int32_t>(tokens.size()), add_special, parse_special);
  if (n < 0) {
    tokens.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), len, tokens.data(), static_cast<int32_t>(tokens.size()),
                       add_special, parse_special);
  }
  tokens.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return tokens;
}

std::string Model::Detokenize(const std::vector<Token>& tokens, bool render_special) const {
  std::string out(tokens.size() * 8 + 16, '\0');
  int32_t n = llama_detokenize(vocab_, tokens.data(), static_cast<int32_t>(tokens.size()),
                               out.data(), static_cast<int32_t>(out.size()),
                               /*remove_special=*/!render_special, render_special);
  if (n < 0) {
    out.resize(static_cast<size_t>(-n));
    n = llama_detokenize(vocab_, tokens.data(), static_cast<int32_t>(tokens.size()), out.data(),
                         static_cast<int32_t>(out.size()), !render_special, render_special);
  }
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

std::string Model::TokenPiece(Token token, bool render_special) const {
  std::array<char, 256> buf{};
  int32_t n = llama_token_to_piece(vocab_, token, buf.data(), static_cast<int32_t>(buf.size()), 0,
                                   render_special);
  if (n >= 0) return {buf.data(), static_cast<size_t>(n)};
  std::string big(static_cast<size_t>(-n), '\0');
  n = llama_token_to_piece(vocab_, token, big.data(), static_cast<int32_t>(big.size()), 0,
                           render_special);
  big.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return big;
}

bool Model::IsEndOfGeneration(Token token) const {
  return llama_vocab_is_eog(vocab_, token);
}
int32_t Model::vocab_size() const {
  return llama_vocab_n_tokens(vocab_);
}
int32_t Model::train_context_length() const {
  return llama_model_n_ctx_train(model_);
}
int32_t Model::embedding_size() const {
  return llama_model_n_embd(model_);
}
uint64_t Model::parameter_count() const {
  return llama_model_n_params(model_);
}
uint64_t Model::size_bytes() const {
  return llama_model_size(model_);
}

std::string Model::description() const {
  std::array<char, 256> buf{};
  const int32_t n = llama_model_desc(model_, buf.data(), buf.size());
  return n > 0 ? std::string(buf.data(), std::min<size_t>(static_cast<size_t>(n), buf.size() - 1))
               : std::string();
}

std::string Model::Metadata(const std::string& key) const {
  std::string buf(256, '\0');
  int32_t n = llama_model_meta_val_str(model_, key.c_str(), buf.data(), buf.size());
  if (n < 0) return {};
  if (static_cast<size_t>(n) >= buf.size()) {
    buf.resize(static_cast<size_t>(n) + 1);
    n = llama_model_meta_val_str(model_, key.c_str(), buf.data(), buf.size());
  }
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace daulat::engine
