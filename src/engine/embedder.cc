#include "engine/embedder.h"

#include <llama.h>

#include <cmath>
#include <thread>

#include "engine/llama_runtime.h"

namespace daulat::engine {
namespace {

llama_context* MakeContext(const Model& model, uint32_t n_ctx, int threads,
                           enum llama_pooling_type pooling) {
  llama_context_params params = llama_context_default_params();
  params.n_ctx = n_ctx;
  params.n_batch = n_ctx;   // a whole input is decoded in one pass
  params.n_ubatch = n_ctx;  // non-causal models need it in one micro-batch
  params.n_seq_max = 1;
  params.embeddings = true;
  params.pooling_type = pooling;
  params.n_threads = threads;
  params.n_threads_batch = threads;
  params.no_perf = true;
  return llama_init_from_model(model.raw(), params);
}

}  // namespace

Result<std::unique_ptr<Embedder>> Embedder::Create(std::shared_ptr<const Model> model,
                                                   const EmbedderOptions& options) {
  if (options.max_tokens < 1 || options.max_tokens > 32768) {
    return InvalidArgument("embedding max_tokens must be 1 to 32768");
  }
  EnsureLlamaRuntime();
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  llama_context* ctx =
      MakeContext(*model, options.max_tokens, threads, LLAMA_POOLING_TYPE_UNSPECIFIED);
  if (ctx != nullptr && llama_pooling_type(ctx) == LLAMA_POOLING_TYPE_NONE) {
    llama_free(ctx);  // a generative model: pool by mean over the tokens
    ctx = MakeContext(*model, options.max_tokens, threads, LLAMA_POOLING_TYPE_MEAN);
  }
  if (ctx == nullptr) return ResourceExhausted("could not create an embedding context");
  return std::unique_ptr<Embedder>(new Embedder(std::move(model), ctx, options.max_tokens));
}

Embedder::~Embedder() {
  llama_free(ctx_);
}

int Embedder::dimensions() const {
  return llama_model_n_embd_out(model_->raw());
}

Result<std::vector<float>> Embedder::Embed(std::string_view text) {
  if (text.empty()) return InvalidArgument("cannot embed empty text");
  std::vector<Token> tokens = model_->Tokenize(text, /*add_special=*/true, /*parse_special=*/false);
  if (tokens.size() > max_tokens_) {
    return ResourceExhausted("the input has " + std::to_string(tokens.size()) +
                             " tokens; the embedding limit is " + std::to_string(max_tokens_));
  }
  llama_memory_clear(llama_get_memory(ctx_), true);
  llama_batch batch = llama_batch_init(static_cast<int32_t>(tokens.size()), 0, 1);
  batch.n_tokens = static_cast<int32_t>(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.token[i] = tokens[i];
    batch.pos[i] = static_cast<llama_pos>(i);
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = 0;
    batch.logits[i] = 1;
  }
  const int32_t rc = llama_decode(ctx_, batch);
  llama_batch_free(batch);
  if (rc != 0) return Internal("embedding decode failed with code " + std::to_string(rc));
  const float* pooled = llama_get_embeddings_seq(ctx_, 0);
  if (pooled == nullptr) return Internal("the model returned no pooled embedding");
  std::vector<float> out(pooled, pooled + llama_model_n_embd_out(model_->raw()));
  double norm = 0;
  for (float v : out) norm += static_cast<double>(v) * v;
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (float& v : out) v = static_cast<float>(v / norm);
  }
  return out;
}

}  // namespace daulat::engine
