#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/global_options.h"
#include "engine/chat_template.h"
#include "engine/sampling.h"
#include "engine/session.h"

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

// A verified, loaded model with a session and its chat template.
struct LoadedModel {
  std::shared_ptr<const engine::Model> model;
  std::unique_ptr<engine::Session> session;
  std::unique_ptr<engine::ChatTemplate> chat_template;
  std::vector<std::string> template_stops;  // from the manifest
};
// Finds the model, checks its checksum (progress bar on a terminal), loads it.
Result<LoadedModel> LoadForGeneration(const GlobalOptions& global, const GenerationFlags& flags);

// Writes streamed answer text to stdout as it arrives. Chat templates end on
// "Assistant:", so a chat answer's leading whitespace is dropped.
class AnswerPrinter {
 public:
  explicit AnswerPrinter(bool trim_leading) : at_start_(trim_leading) {}
  void operator()(std::string_view text);

 private:
  bool at_start_;
};

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
