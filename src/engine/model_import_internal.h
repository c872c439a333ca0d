#pragma once

// Shared by the importers of each source format; not part of the engine's API.

#include <ggml.h>
#include <gguf.h>

#include <filesystem>
#include <string>

#include "common/status.h"
#include "engine/model_import.h"

namespace daulat::engine {

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};
struct GgmlFree {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

// <models_dir>/<name> for a new model: INVALID_ARGUMENT for a bad name,
// FAILED_PRECONDITION when the name is taken.
Result<std::filesystem::path> ImportTarget(const std::filesystem::path& models_dir,
                                           const ImportOptions& o);

// The whole file, refused above max_bytes.
Result<std::string> ReadFile(const std::filesystem::path& p, size_t max_bytes);

// Writes `g` as <target>/<name>.gguf through a temporary file and rename,
// then the manifest: `m` gives what the importer read from the model; the
// file, hash, size and the operator's provenance come from here.
Result<ModelManifest> InstallGguf(gguf_context* g, const std::filesystem::path& target,
                                  const ImportOptions& o, ModelManifest m);

}  // namespace daulat::engine
