#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/global_options.h"
#include "engine/cancellation.h"
#include "engine/sampling.h"

namespace daulat::cli {

// Flags shared by `run` and `chat`: which model, how to sample, context size.
struct GenerationFlags {
  std::string model = "gemma3-270m";
  std::string system;
  engine::SamplingParams sampling;
  std::optional<uint32_t> seed;
  uint32_t context_length = 4096;
  int threads = 0;
};
void AddGenerationFlags(CLI::App& cmd, GenerationFlags& flags);

// Ctrl-C cancels the generation in progress instead of killing the process.
// Returns the token the SIGINT handler cancels; Arm() replaces it with a fresh one.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  engine::CancellationToken* Arm();
  static bool interrupted();
};

}  // namespace daulat::cli
