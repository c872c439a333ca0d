#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct llama_model;
struct llama_vocab;

namespace daulat::engine {

using Token = int32_t;

struct ModelOptions {
  bool use_mmap = true;
  int gpu_layers = 0;  // CPU by default; -1 offloads every layer where a GPU backend exists
};

// An immutable loaded model (weights + vocabulary). Safe to share between
// threads: tokenisation and metadata reads are thread-safe in libllama, and
// contexts made from it each belong to one thread at a time.
class Model {
 public:
  // Loads a GGUF file. Checks the GGUF header first so that a file that is not
  // a model gives DATA_LOSS with a plain reason instead of a libllama failure.
  static Result<std::shared_ptr<const Model>> Load(const std::filesystem::path& path,
                                                   const ModelOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // add_special: prepend BOS etc. as the model expects; parse_special: treat
  // "<start_of_turn>"-style text as control tokens (only for trusted templates).
  std::vector<Token> Tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::string Detokenize(const std::vector<Token>& tokens, bool render_special = false) const;
  // Bytes of one token; may be part of a UTF-8 sequence.
  std::string TokenPiece(Token token, bool render_special = false) const;
  size_t CountTokens(std::string_view text) const { return Tokenize(text, true, false).size(); }
  bool IsEndOfGeneration(Token token) const;

  int32_t vocab_size() const;
  int32_t train_context_length() const;
  int32_t embedding_size() const;
  uint64_t parameter_count() const;
  uint64_t size_bytes() const;
  std::string description() const;
  std::string Metadata(const std::string& key) const;  // "" when absent
  const std::filesystem::path& path() const { return path_; }

  llama_model* raw() const { return model_; }
  const llama_vocab* vocab() const { return vocab_; }

 private:
  Model(llama_model* model, std::filesystem::path path);
  llama_model* model_;
  const llama_vocab* vocab_;
  std::filesystem::path path_;
};

// Validates the GGUF header (magic, version, counts) without loading weights.
Status CheckGgufHeader(const std::filesystem::path& path);

}  // namespace daulat::engine
