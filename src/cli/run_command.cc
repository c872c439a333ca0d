#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/generation_flags.h"

namespace daulat::cli {
namespace {

struct RunFlags {
  GenerationFlags gen;
  std::string prompt;
  bool raw = false;
  bool json = false;
};

nlohmann::json ResultJson(const std::string& model, const engine::GenerationResult& r) {
  const double tps = r.stats.generation_ms > 0 ? static_cast<double>(r.stats.completion_tokens) *
                                                     1000.0 / r.stats.generation_ms
                                               : 0.0;
  return {{"model", model},
          {"text", r.text},
          {"finish_reason", std::string(engine::FinishReasonName(r.finish_reason))},
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
  auto loaded = LoadForGeneration(global, flags.gen);
  if (!loaded.ok()) return ReportError(loaded.status());

  engine::SamplingParams params = flags.gen.sampling;
  params.seed = flags.gen.seed;
  std::vector<engine::Token> tokens;
  if (flags.raw) {
    tokens = loaded->model->Tokenize(flags.prompt, /*add_special=*/true, /*parse_special=*/false);
  } else {
    std::vector<engine::ChatMessage> messages;
    if (!flags.gen.system.empty()) messages.push_back({"system", flags.gen.system});
    messages.push_back({"user", flags.prompt});
    auto prompt = loaded->chat_template->Apply(messages);
    if (!prompt.ok()) return ReportError(prompt.status());
    params.stop.insert(params.stop.end(), prompt->stops.begin(), prompt->stops.end());
    params.stop.insert(params.stop.end(), loaded->template_stops.begin(),
                       loaded->template_stops.end());
    tokens = loaded->model->Tokenize(prompt->text, /*add_special=*/true, /*parse_special=*/true);
  }

  AnswerPrinter print(/*trim_leading=*/!flags.raw);
  engine::TextCallback on_text;
  if (!flags.json) on_text = [&print](std::string_view text) { print(text); };
  auto result = loaded->session->Generate(tokens, params, on_text, guard.Arm());
  if (!result.ok()) return ReportError(result.status());
  if (!flags.raw) {
    const size_t first = result->text.find_first_not_of(" \t\r\n");
    result->text.erase(0, first == std::string::npos ? result->text.size() : first);
  }
  if (flags.json) {
    std::puts(ResultJson(flags.gen.model, *result).dump(2).c_str());
  } else if (!result->text.empty() && result->text.back() != '\n') {
    std::fputc('\n', stdout);
  }
  if (result->finish_reason == engine::FinishReason::kCancelled) {
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
