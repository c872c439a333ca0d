#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/generation_flags.h"
#include "cli/local_generation.h"
#include "http/openai_errors.h"

namespace daulat::cli {
namespace {

struct RunFlags {
  GenerationFlags gen;
  std::string prompt;
  bool raw = false;
  bool json = false;
};

nlohmann::json ResultJson(const std::string& model, const gateway::GenerationOutcome& r) {
  const double tps = r.stats.generation_ms > 0 ? static_cast<double>(r.stats.completion_tokens) *
                                                     1000.0 / r.stats.generation_ms
                                               : 0.0;
  return {{"model", model},
          {"text", r.text},
          {"finish_reason", r.content_filtered ? std::string("content_filter")
                                               : std::string(engine::FinishReasonName(r.finish))},
          {"usage",
           {{"prompt_tokens", r.stats.prompt_tokens},
            {"completion_tokens", r.stats.completion_tokens},
            {"total_tokens", r.stats.prompt_tokens + r.stats.completion_tokens}}},
          {"timings",
           {{"prompt_ms", r.stats.prompt_ms},
            {"generation_ms", r.stats.generation_ms},
            {"generation_tokens_per_second", tps}}}};
}

int Run(const GlobalOptions& global, RunFlags& flags) {
  if (flags.prompt == "-") {
    flags.prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (flags.prompt.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ReportError(InvalidArgument("the prompt is empty"));
  }
  InterruptGuard guard;
  guard.Arm();
  auto local = LocalGeneration::Open(global, flags.gen, {}, "inference");
  if (!local.ok()) return ReportError(local.status());
  auto& ctx = (*local)->context();
  auto g = (*local)->service().Begin(ctx, flags.gen.model, Classification::kTerbuka);
  if (!g.ok()) return ReportError(g.status());
  gateway::GenerationRequest request;
  request.params = flags.gen.sampling;
  request.params.seed = flags.gen.seed;
  if (flags.raw) {
    request.chat = false;
    request.prompt = flags.prompt;
  } else {
    if (!flags.gen.system.empty()) request.messages.push_back({"system", flags.gen.system});
    request.messages.push_back({"user", flags.prompt});
  }
  std::function<void(const std::string&)> on_text;
  if (!flags.json)
    on_text = [](const std::string& text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    };
  auto result = LocalGeneration::RunInterruptible(**g, std::move(request), on_text);
  const Status recorded = (*local)->Record(
      result.status.ok() ? 200 : http::ErrorFor(result.status).status, result.status.message());
  if (!result.status.ok()) return ReportError(result.status);
  if (!recorded.ok()) return ReportError(recorded);
  if (flags.json) {
    std::puts(ResultJson(flags.gen.model, result)
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  } else if (!result.text.empty() && result.text.back() != '\n') {
    std::fputc('\n', stdout);
  }
  if (result.content_filtered)
    std::fprintf(stderr,
                 "daulat: the answer was stopped: it held personal data the policy keeps back\n");
  if (result.finish == engine::FinishReason::kCancelled) {
    std::fprintf(stderr, "daulat: interrupted\n");
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand(
      "run", "Answer one prompt with a local model, streaming the answer to stdout");
  cmd->add_option("prompt", flags->prompt, "The prompt, or - to read it from stdin")->required();
  cmd->add_flag("--raw", flags->raw,
                "Send the prompt as plain text completion, without the chat template");
  cmd->add_flag("--json", flags->json,
                "Print one JSON object with the answer, usage and timings instead of streaming");
  AddGenerationFlags(*cmd, flags->gen);
  cmd->callback([&global, exit_code, flags] { *exit_code = Run(global, *flags); });
}

}  // namespace daulat::cli
