#include "cli/generation_flags.h"

#include <csignal>
#include <cstring>

namespace daulat::cli {
namespace {

std::atomic<engine::CancellationToken*> g_active{nullptr};
std::atomic<bool> g_interrupted{false};
// Tokens stay alive for the whole process: the handler may still hold an old one.
std::vector<std::unique_ptr<engine::CancellationToken>> g_tokens;

void OnSigint(int /*sig*/) {
  g_interrupted.store(true);
  if (auto* t = g_active.load()) t->Cancel();
}

}  // namespace

void AddGenerationFlags(CLI::App& cmd, GenerationFlags& f) {
  cmd.add_option("-m,--model", f.model, "Installed model to use")
      ->envname("DAULAT_MODEL")
      ->capture_default_str();
  cmd.add_option("--system", f.system, "System message placed before the conversation");
  auto& s = f.sampling;
  cmd.add_option("--temperature", s.temperature, "Sampling temperature, 0 = greedy")
      ->capture_default_str();
  cmd.add_option("--top-p", s.top_p, "Nucleus sampling threshold")->capture_default_str();
  cmd.add_option("--top-k", s.top_k, "Sample among the k most likely tokens (0 = off)")
      ->capture_default_str();
  cmd.add_option("--min-p", s.min_p, "Drop tokens below this fraction of the top probability")
      ->capture_default_str();
  cmd.add_option("--repeat-penalty", s.repeat_penalty, "Penalty for repeated tokens (1 = off)")
      ->capture_default_str();
  cmd.add_option("--presence-penalty", s.presence_penalty, "OpenAI-style presence penalty")
      ->capture_default_str();
  cmd.add_option("--frequency-penalty", s.frequency_penalty, "OpenAI-style frequency penalty")
      ->capture_default_str();
  cmd.add_option("--seed", f.seed, "Random seed for reproducible sampling");
  s.max_tokens = 1024;
  cmd.add_option("-n,--max-tokens", s.max_tokens,
                 "Most tokens to generate (-1 = until the context is full)")
      ->capture_default_str();
  cmd.add_option("--stop", s.stop, "Stop when the output contains this text (repeatable)");
  cmd.add_option("-c,--ctx-size", f.context_length, "Context window in tokens")
      ->capture_default_str();
  cmd.add_option("-t,--threads", f.threads, "CPU threads (0 = all)")->capture_default_str();
}

InterruptGuard::InterruptGuard() {
  struct sigaction sa {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read of the next chat line returns
  sigaction(SIGINT, &sa, nullptr);
}

InterruptGuard::~InterruptGuard() {
  g_active.store(nullptr);
  std::signal(SIGINT, SIG_DFL);
}

engine::CancellationToken* InterruptGuard::Arm() {
  g_tokens.push_back(std::make_unique<engine::CancellationToken>());
  g_interrupted.store(false);
  g_active.store(g_tokens.back().get());
  return g_tokens.back().get();
}

bool InterruptGuard::interrupted() {
  return g_interrupted.load();
}

}  // namespace daulat::cli
