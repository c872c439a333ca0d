// engine_bench: prompt processing (pp) and generation (tg) speed of daulat's
// engine, measured the way llama-bench measures libllama, so the two can be
// compared on the same model, threads and sizes (bench/engine/compare.sh).
//   pp: decode N prompt tokens into an empty context.
//   tg: generate N tokens one at a time from an empty context, through the
//       full engine path (sampling, detokenisation, stop handling included).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "common/log.h"
#include "engine/model.h"
#include "engine/session.h"

using namespace daulat;
using namespace daulat::engine;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"daulat engine benchmark (pp/tg tokens per second)"};
  std::string model_path;
  int threads = 2;
  int pp = 512;
  int tg = 128;
  int reps = 5;
  app.add_option("-m,--model", model_path, "GGUF file")->required();
  app.add_option("-t,--threads", threads, "CPU threads")->capture_default_str();
  app.add_option("-p,--n-prompt", pp, "Prompt tokens for pp")->capture_default_str();
  app.add_option("-n,--n-gen", tg, "Generated tokens for tg")->capture_default_str();
  app.add_option("-r,--repetitions", reps, "Repetitions (median reported)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  InitLogging("error");

  auto model = Model::Load(model_path);
  if (!model.ok()) {
    std::fprintf(stderr, "engine_bench: %s\n", model.status().message().c_str());
    return 1;
  }
  SessionOptions options;
  options.context_length = static_cast<uint32_t>(pp + tg + 16);
  options.batch_size = static_cast<uint32_t>(pp);
  options.threads = threads;
  auto session = Session::Create(*model, options);
  if (!session.ok()) {
    std::fprintf(stderr, "engine_bench: %s\n", session.status().message().c_str());
    return 1;
  }
  Session& s = **session;

  // Random prompt tokens, as llama-bench uses.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<Token> pick(0, (*model)->vocab_size() - 1);
  std::vector<Token> prompt(static_cast<size_t>(pp));
  for (auto& t : prompt) t = pick(rng);
  SamplingParams one;
  one.temperature = 0;
  one.max_tokens = 1;
  one.ignore_eos = true;
  SamplingParams gen = one;
  gen.max_tokens = tg;
  const std::vector<Token> start = {prompt[0]};

  // Warm-up, like llama-bench.
  s.Reset();
  (void)s.Generate(prompt, one);
  s.Reset();
  (void)s.Generate(start, gen);

  std::vector<double> pp_rates, tg_rates;
  for (int r = 0; r < reps; ++r) {
    s.Reset();
    auto a = s.Generate(prompt, one);
    s.Reset();
    auto b = s.Generate(start, gen);
    if (!a.ok() || !b.ok()) {
      std::fprintf(stderr, "engine_bench: generation failed\n");
      return 1;
    }
    pp_rates.push_back(pp * 1000.0 / a->stats.prompt_ms);
    // tg decodes: the start token plus every generated token but the last.
    tg_rates.push_back(static_cast<double>(b->stats.completion_tokens) * 1000.0 /
                       (b->stats.prompt_ms + b->stats.generation_ms));
  }
  const nlohmann::json out = {{"engine", "daulat"},
                              {"model", model_path},
                              {"threads", threads},
                              {"n_prompt", pp},
                              {"n_gen", tg},
                              {"repetitions", reps},
                              {"pp_tokens_per_second", Median(pp_rates)},
                              {"tg_tokens_per_second", Median(tg_rates)}};
  std::puts(out.dump().c_str());
  return 0;
}
