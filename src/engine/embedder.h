#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/model.h"

struct llama_context;

namespace daulat::engine {

struct EmbedderOptions {
  uint32_t max_tokens = 512;  // longest input accepted, in tokens
  int threads = 0;            // 0 = all hardware threads
};

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
  Result<std::vector<float>> Embed(std::string_view text);
  int dimensions() const;

 private:
  Embedder(std::shared_ptr<const Model> model, llama_context* ctx, uint32_t max_tokens)
      : model_(std::move(model)), ctx_(ctx), max_tokens_(max_tokens) {}
  std::shared_ptr<const Model> model_;
  llama_context* ctx_;
  uint32_t max_tokens_;
};

}  // namespace daulat::engine
