#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/generation_flags.h"
#include "cli/local_generation.h"
#include "http/openai_errors.h"

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
  auto local = LocalGeneration::Open(global, flags, {}, "inference");
  if (!local.ok()) return ReportError(local.status());
  auto& m = (*local)->model();
  const uint32_t context_length = m.scheduler->options().per_sequence_limit();
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
      std::fputs("(conversation cleared)\n", stderr);
      continue;
    }
    if (line == "/help") {
      std::fputs(kHelp, stderr);
      continue;
    }
    messages.push_back({"user", line});
    // Measured with the model's own template, so the turn fits before it is sent.
    Status fit;
    while (true) {
      auto prompt = m.chat_template->Apply(messages);
      if (!prompt.ok()) return ReportError(prompt.status());
      const size_t tokens = m.model->CountTokens(prompt->text);
      if (tokens + 1 < context_length) break;
      if (!DropOldestTurn(messages)) {
        fit = InvalidArgument("this message alone does not fit the context window of " +
                              std::to_string(context_length) + " tokens");
        break;
      }
    }
    if (!fit.ok()) {
      std::fprintf(stderr, "daulat: %s\n", fit.message().c_str());
      messages.pop_back();
      continue;
    }
    guard.Arm();
    (*local)->NextRequest();
    auto g = (*local)->service().Begin((*local)->context(), flags.model, Classification::kTerbuka);
    if (!g.ok()) return ReportError(g.status());
    gateway::GenerationRequest request;
    request.messages = messages;
    request.params = flags.sampling;
    request.params.seed = flags.seed;
    auto result =
        LocalGeneration::RunInterruptible(**g, std::move(request), [](const std::string& text) {
          std::fwrite(text.data(), 1, text.size(), stdout);
          std::fflush(stdout);
        });
    const Status recorded = (*local)->Record(
        result.status.ok() ? 200 : http::ErrorFor(result.status).status, result.status.message());
    if (!result.status.ok()) return ReportError(result.status);
    if (!recorded.ok()) return ReportError(recorded);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (result.finish == engine::FinishReason::kCancelled) std::fputs("(stopped)\n", stderr);
    messages.push_back({"assistant", result.text});
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
