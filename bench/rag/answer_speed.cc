#include "answer_speed.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "engine/chat_template.h"
#include "engine/model.h"
#include "engine/scheduler.h"
#include "knowledge/grounded_answer.h"

namespace daulat::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Timing {
  double first_token_ms = 0;
  double full_ms = 0;
  engine::GenerationStats stats;
};

// Submits one request and waits for its end, noting when the first visible
// text arrived.
Result<Timing> TimeOne(engine::Scheduler& scheduler, engine::InferenceRequest request) {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  Status status;
  Timing t;
  const auto start = Clock::now();
  const auto since = [&start] {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  auto ticket = scheduler.Submit(std::move(request), [&](engine::InferenceUpdate&& u) {
    std::lock_guard lock(mu);
    if (t.first_token_ms == 0 && (!u.text.empty() || u.finished)) t.first_token_ms = since();
    if (!u.finished) return;
    t.full_ms = since();
    t.stats = u.stats;
    status = u.status;
    done = true;
    done_cv.notify_all();
  });
  if (!ticket.ok()) return ticket.status();
  std::unique_lock lock(mu);
  done_cv.wait(lock, [&] { return done; });
  if (!status.ok()) return status;
  return t;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

json Summary(const std::vector<Timing>& runs) {
  std::vector<double> first, full;
  double prompt = 0, reused = 0, completion = 0, generation_ms = 0;
  for (const auto& r : runs) {
    first.push_back(r.first_token_ms);
    full.push_back(r.full_ms);
    prompt += static_cast<double>(r.stats.prompt_tokens);
    reused += static_cast<double>(r.stats.reused_prompt_tokens);
    completion += static_cast<double>(r.stats.completion_tokens);
    generation_ms += r.stats.generation_ms;
  }
  const auto n = static_cast<double>(std::max<size_t>(runs.size(), 1));
  return {{"first_token_ms_p50", Percentile(first, 0.5)},
          {"first_token_ms_p95", Percentile(first, 0.95)},
          {"full_answer_ms_p50", Percentile(full, 0.5)},
          {"full_answer_ms_p95", Percentile(full, 0.95)},
          {"prompt_tokens_mean", prompt / n},
          {"reused_prompt_tokens_mean", reused / n},
          {"answer_tokens_mean", completion / n},
          {"generation_tokens_per_s", generation_ms > 0 ? completion * 1000.0 / generation_ms : 0}};
}

}  // namespace

Result<json> MeasureAnswerSpeed(const engine::ModelRegistry& registry, const std::string& model,
                                const std::vector<AskPrompt>& prompts, int max_tokens) {
  if (prompts.size() < 2) return InvalidArgument("the speed run needs at least two questions");
  auto installed = registry.Find(model);
  if (!installed.ok()) return installed.status();
  auto loaded = engine::Model::Load(installed->gguf_path());
  if (!loaded.ok()) return loaded.status();
  auto source = installed->ReadChatTemplate();
  auto tmpl = engine::ChatTemplate::ForModel(**loaded, source.ok() ? *source : "");
  if (!tmpl.ok()) return tmpl.status();
  auto scheduler = engine::Scheduler::Start(*loaded, engine::SchedulerOptions{});
  if (!scheduler.ok()) return scheduler.status();

  const auto request = [&](const AskPrompt& ask, std::string partition) -> Result<Timing> {
    auto rendered = (*tmpl)->Apply({{"system", ask.system}, {"user", ask.user}});
    if (!rendered.ok()) return rendered.status();
    engine::InferenceRequest r;
    r.partition = std::move(partition);
    r.prompt = (*loaded)->Tokenize(rendered->text, true, true);
    r.params.temperature = 0;
    r.params.max_tokens = max_tokens;
    r.params.stop = rendered->stops;
    r.params.stop.insert(r.params.stop.end(), installed->manifest.stop.begin(),
                         installed->manifest.stop.end());
    const auto& grounded = knowledge::GroundedStops();
    r.params.stop.insert(r.params.stop.end(), grounded.begin(), grounded.end());
    return TimeOne(**scheduler, std::move(r));
  };
  // The last prompt warms the caller's partition (and the weights in memory)
  // and is not counted; the others run cold then warm, in pairs, so drift on
  // a shared machine hits both alike.
  if (auto warmup = request(prompts.back(), "caller"); !warmup.ok()) return warmup.status();
  std::vector<Timing> cold, warm;
  for (size_t i = 0; i + 1 < prompts.size(); ++i) {
    auto c = request(prompts[i], "cold-" + std::to_string(i));
    if (!c.ok()) return c.status();
    auto w = request(prompts[i], "caller");
    if (!w.ok()) return w.status();
    cold.push_back(*c);
    warm.push_back(*w);
  }
  (*scheduler)->Stop(false);
  json out = {
      {"model", model}, {"asks", cold.size()}, {"cold", Summary(cold)}, {"warm", Summary(warm)}};
  const double warm_first = out["warm"]["first_token_ms_p50"].get<double>();
  out["first_token_cold_over_warm"] =
      warm_first > 0 ? out["cold"]["first_token_ms_p50"].get<double>() / warm_first : 0.0;
  return out;
}

}  // namespace daulat::bench
