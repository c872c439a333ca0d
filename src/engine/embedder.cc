#include "engine/embedder.h"

#include <llama.h>

#include <algorithm>
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

// Unit length, so that a dot product is the cosine similarity.
std::vector<float> Normalised(const std::vector<double>& v) {
  double norm = 0;
  for (double x : v) norm += x * x;
  norm = std::sqrt(norm);
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(norm > 0 ? v[i] / norm : 0);
  return out;
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
  // An encoder has position embeddings for its trained context only.
  const int32_t trained = model->train_context_length();
  const uint32_t window =
      trained > 0 ? std::min<uint32_t>(options.max_tokens, static_cast<uint32_t>(trained))
                  : options.max_tokens;
  if (window < 8) return InvalidArgument("the embedding model's context is too short");
  llama_context* ctx = MakeContext(*model, window, threads, LLAMA_POOLING_TYPE_UNSPECIFIED);
  if (ctx != nullptr && llama_pooling_type(ctx) == LLAMA_POOLING_TYPE_NONE) {
    llama_free(ctx);  // a generative model: pool by mean over the tokens
    ctx = MakeContext(*model, window, threads, LLAMA_POOLING_TYPE_MEAN);
  }
  if (ctx == nullptr) return ResourceExhausted("could not create an embedding context");
  return std::unique_ptr<Embedder>(new Embedder(std::move(model), ctx, window, options));
}

Embedder::~Embedder() {
  llama_free(ctx_);
}

int Embedder::dimensions() const {
  return llama_model_n_embd_out(model_->raw());
}

Result<std::vector<float>> Embedder::Embed(std::string_view text, EmbedPurpose purpose) {
  if (text.empty()) return InvalidArgument("cannot embed empty text");
  std::string input = purpose == EmbedPurpose::kQuery     ? options_.query_prefix
                      : purpose == EmbedPurpose::kPassage ? options_.passage_prefix
                                                          : std::string();
  input.append(text);
  const std::vector<Token> framed = model_->Tokenize(input, /*add_special=*/true, false);
  if (framed.size() > options_.max_tokens) {
    return ResourceExhausted("the input has " + std::to_string(framed.size()) +
                             " tokens; the embedding limit is " +
                             std::to_string(options_.max_tokens));
  }
  if (framed.size() <= window_) {
    auto pooled = Pool(framed);
    if (!pooled.ok()) return pooled.status();
    return Normalised(std::vector<double>(pooled->begin(), pooled->end()));
  }
  // Find the special tokens the model frames a text with, then window the rest.
  const std::vector<Token> content = model_->Tokenize(input, /*add_special=*/false, false);
  size_t lead = 0;
  while (lead + content.size() <= framed.size() &&
         !std::equal(content.begin(), content.end(), framed.begin() + static_cast<ptrdiff_t>(lead)))
    ++lead;
  if (lead + content.size() > framed.size())
    return Internal("cannot find the text between its special tokens");
  const std::vector<Token> head(framed.begin(), framed.begin() + static_cast<ptrdiff_t>(lead));
  const std::vector<Token> tail(framed.begin() + static_cast<ptrdiff_t>(lead + content.size()),
                                framed.end());
  const size_t per_window = window_ - head.size() - tail.size();
  std::vector<double> sum(static_cast<size_t>(dimensions()), 0.0);
  for (size_t at = 0; at < content.size(); at += per_window) {
    std::vector<Token> w = head;
    const size_t end = std::min(content.size(), at + per_window);
    w.insert(w.end(), content.begin() + static_cast<ptrdiff_t>(at),
             content.begin() + static_cast<ptrdiff_t>(end));
    w.insert(w.end(), tail.begin(), tail.end());
    auto pooled = Pool(w);
    if (!pooled.ok()) return pooled.status();
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += static_cast<double>(end - at) * (*pooled)[i];
  }
  return Normalised(sum);
}

// One decode of at most window_ tokens: the pooled vector, not normalised
// (windows are weighted and summed first).
Result<std::vector<float>> Embedder::Pool(const std::vector<Token>& tokens) {
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
  return std::vector<float>(pooled, pooled + dimensions());
}

}  // namespace daulat::engine
