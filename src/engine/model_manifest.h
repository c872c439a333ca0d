#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/status.h"

namespace daulat::engine {

// What daulat knows about an installed model, stored as manifest.json beside
// the GGUF file. The sha256 is the contract: a model whose bytes do not hash
// to it is never loaded.
struct ModelManifest {
  std::string name;    // registry name, e.g. "gemma3-270m"; [a-z0-9._-], 1..64 chars
  std::string file;    // GGUF file name, relative to the manifest's folder
  std::string sha256;  // lower-case hex of the GGUF file
  uint64_t size_bytes = 0;
  std::string licence;
  std::string origin;        // where the bytes came from (registry package and version)
  std::string upstream;      // the model it was derived from
  std::string architecture;  // GGUF general.architecture
  uint32_t context_length = 0;
  std::string quantisation;
  Classification max_classification = Classification::kTerbuka;
  std::vector<std::string> capabilities;  // "chat", "completion", "embeddings"
  std::string model_card;
  // Optional Jinja chat template file in the model's folder, for GGUFs that
  // carry none (base models) or carry a broken one.
  std::string chat_template_file;
  std::vector<std::string> stop;  // stop strings the chat template relies on
  // Embedding models trained with instructions (E5: "query: ", "passage: ")
  // expect these in front of a search query and of a stored passage.
  std::string query_prefix;
  std::string passage_prefix;

  bool HasCapability(const std::string& capability) const;
};

// Parses and validates manifest JSON. Errors are INVALID_ARGUMENT naming the
// offending field; unknown fields are ignored so newer manifests still load.
Result<ModelManifest> ParseManifest(const std::string& json_text);
std::string ManifestToJson(const ModelManifest& manifest, int indent = 2);

// True for names usable on the command line and in URLs.
bool IsValidModelName(const std::string& name);

}  // namespace daulat::engine
