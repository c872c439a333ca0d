#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/generation_flags.h"

namespace daulat::cli {
namespace {

constexpr const char* kHelp =
    "Type a message and press Enter. Commands: /reset (forget the conversation), /exit.\n"
    "Ctrl-C stops an answer; Ctrl-C at the prompt or Ctrl-D leaves.\n";

// Drops the oldest user/assistant exchange (keeping a system message) so the
// conversation fits the context window again. False when nothing can go.
bool DropOldestTurn(std::vector<engine::ChatMessage>& messages) {
  const size_t first = (!messages.empty() && messages[0].role == "system") ? 1 : 0;
  if (messages.size() < first + 3) return false;  // keep at least the newest user message
  messages.erase(messages.begin() + static_cast<long>(first),
                 messages.begin() + static_cast<long>(first) + 2);
  return true;
}

int Chat(const GlobalOptions& global, const GenerationFlags& flags) {
  InterruptGuard guard;
  auto loaded = LoadForGeneration(global, flags);
  if (!loaded.ok()) return ReportError(loaded.status());
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  if (tty) std::fprintf(stderr, "daulat chat with %s. %s", flags.model.c_str(), kHelp);

  std::vector<engine::ChatMessage> messages;
  if (!flags.system.empty()) messages.push_back({"system", flags.system});
  std::string line;
  while (true) {
    if (tty) std::fputs("\n> ", stderr);
    if (!std::getline(std::cin, line)) {
      if (InterruptGuard::interrupted()) return kExitInterrupted;
      return kExitOk;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line == "/exit" || line == "/quit") return kExitOk;
    if (line == "/reset") {
      messages.resize(flags.system.empty() ? 0 : 1);
      loaded->session->Reset();
      std::fputs("(conversation cleared)\n", stderr);
      continue;
    }
    if (line == "/help") {
      std::fputs(kHelp, stderr);
      continue;
    }
    messages.push_back({"user", line});
    std::vector<engine::Token> tokens;
    engine::SamplingParams params = flags.sampling;
    params.seed = flags.seed;
    Status fit;
    while (true) {
      auto prompt = loaded->chat_template->Apply(messages);
      if (!prompt.ok()) return ReportError(prompt.status());
      tokens = loaded->model->Tokenize(prompt->text, true, true);
      params.stop = flags.sampling.stop;
      params.stop.insert(params.stop.end(), prompt->stops.begin(), prompt->stops.end());
      params.stop.insert(params.stop.end(), loaded->template_stops.begin(),
                         loaded->template_stops.end());
      if (tokens.size() + 1 < loaded->session->context_length()) break;
      if (!DropOldestTurn(messages)) {
        fit = InvalidArgument("this message alone does not fit the context window of " +
                              std::to_string(loaded->session->context_length()) + " tokens");
        break;
      }
    }
    if (!fit.ok()) {
      std::fprintf(stderr, "daulat: %s\n", fit.message().c_str());
      messages.pop_back();
      continue;
    }
    AnswerPrinter print(/*trim_leading=*/true);
    auto result = loaded->session->Generate(
        tokens, params, [&print](std::string_view text) { print(text); }, guard.Arm());
    if (!result.ok()) return ReportError(result.status());
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (result->finish_reason == engine::FinishReason::kCancelled)
      std::fputs("(stopped)\n", stderr);
    messages.push_back({"assistant", result->text});
  }
}

}  // namespace

void AddChatCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto flags = std::make_shared<GenerationFlags>();
  auto* cmd = app.add_subcommand(
      "chat", "Talk with a local model; the conversation is kept until /reset or exit");
  AddGenerationFlags(*cmd, *flags);
  cmd->callback([&global, exit_code, flags] { *exit_code = Chat(global, *flags); });
}

}  // namespace daulat::cli
