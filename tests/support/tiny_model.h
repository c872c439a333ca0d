#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/status.h"
#include "engine/model_registry.h"

namespace daulat::testing {

// A tiny llama-architecture model with random weights and a real tokenizer
// (llama.cpp's SentencePiece vocabulary file), small enough to load and run in
// milliseconds. Same spec and seed => byte-identical file.
struct TinyModelSpec {
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_ff = 128;
  uint32_t context_length = 512;
  uint32_t seed = 42;
  std::filesystem::path vocab;  // a llama.cpp vocabulary GGUF; empty: VocabPath()
  std::string chat_template =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
};

// Path of the vocabulary GGUF shipped in the pinned llama.cpp source.
std::filesystem::path VocabPath();

Status WriteTinyModel(const TinyModelSpec& spec, const std::filesystem::path& out);

// Writes the model into models_dir/<name>/ with a manifest (real sha256).
Result<engine::InstalledModel> InstallTinyModel(const std::filesystem::path& models_dir,
                                                const std::string& name,
                                                const TinyModelSpec& spec = {});

// One tiny model (default spec) written once per test process and shared by
// the tests that only need *a* model.
std::filesystem::path SharedTinyModelPath();

// A fresh empty folder under the test temp dir, removed by the caller or the OS.
std::filesystem::path MakeTempDir(const std::string& prefix);

}  // namespace daulat::testing
