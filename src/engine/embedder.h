#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/model.h"

struct llama_context;

namespace daulat::engine {

struct EmbedderOptions {
  // Longest input accepted, in tokens. Inputs longer than the model's own
  // context are embedded window by window (see Embed).
  uint32_t max_tokens = 512;
  int threads = 0;  // 0 = all hardware threads
  // Put in front of queries and passages (the manifest's query_prefix and
  // passage_prefix); E5 models were trained with "query: " and "passage: ".
  std::string query_prefix;
  std::string passage_prefix;
};

// What a text is for: a search query and a stored passage get the model's
// own prefixes; kAsIs embeds the text exactly as given (the /v1 API).
enum class EmbedPurpose { kAsIs, kQuery, kPassage };

// Sentence embeddings: the model's own pooling (mean when it declares none),
// L2-normalised so that a dot product is the cosine similarity.
// Thread-safety: one Embed at a time per Embedder.
class Embedder {
 public:
  static Result<std::unique_ptr<Embedder>> Create(std::shared_ptr<const Model> model,
                                                  const EmbedderOptions& options = {});
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  // INVALID_ARGUMENT for empty text; RESOURCE_EXHAUSTED above max_tokens.
  // A text longer than the model's context is cut into windows of at most
  // that many tokens, each framed by the model's special tokens; the result
  // is the token-weighted mean of the windows' pooled vectors, normalised
  // (what mean pooling over the whole text would give, but for attention
  // across windows).
  Result<std::vector<float>> Embed(std::string_view text,
                                   EmbedPurpose purpose = EmbedPurpose::kAsIs);
  int dimensions() const;

 private:
  Embedder(std::shared_ptr<const Model> model, llama_context* ctx, uint32_t window,
           EmbedderOptions options)
      : model_(std::move(model)), ctx_(ctx), window_(window), options_(std::move(options)) {}
  Result<std::vector<float>> Pool(const std::vector<Token>& tokens);
  std::shared_ptr<const Model> model_;
  llama_context* ctx_;
  uint32_t window_;  // tokens per decode, framing included
  EmbedderOptions options_;
};

}  // namespace daulat::engine
