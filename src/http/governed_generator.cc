#include "http/governed_generator.h"

namespace daulat::http {

Status GovernedGenerator::Open(Classification level) {
  auto g = service_.Begin(ctx_, model_, level);
  if (!g.ok()) return g.status();
  std::lock_guard lock(mu_);
  generation_ = std::move(g).value();
  if (cancelled_) generation_->Cancel();
  return Status::Ok();
}

std::string GovernedGenerator::model() const {
  std::lock_guard lock(mu_);
  return generation_ ? generation_->model() : std::string();
}

void GovernedGenerator::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (generation_) generation_->Cancel();
}

Result<knowledge::GuardedSources> GovernedGenerator::Guard(
    std::string_view question, const std::vector<std::string_view>& passages) {
  if (!generation_) return FailedPrecondition("Guard before Open");
  auto g = generation_->GuardPassages(question, passages);
  if (!g.ok()) return g.status();
  return knowledge::GuardedSources{std::move(g->question), std::move(g->passages),
                                   std::move(g->kept)};
}

Result<std::string> GovernedGenerator::Generate(
    const knowledge::GroundedPrompt& prompt, int max_tokens,
    const std::function<void(const std::string&)>& on_text) {
  if (!generation_) return FailedPrecondition("Generate before Open");
  gateway::GenerationRequest r;
  r.messages.push_back({"system", prompt.system});
  for (const auto& [question, answer] : prompt.history) {
    r.messages.push_back({"user", question});
    r.messages.push_back({"assistant", answer});
  }
  r.messages.push_back({"user", prompt.user});
  r.params.temperature = 0;  // grounded output: no sampling noise
  r.params.max_tokens = max_tokens;
  r.params.stop = knowledge::GroundedStops();
  auto out = generation_->Run(std::move(r), on_text);
  if (!out.status.ok()) return out.status;
  if (out.finish == engine::FinishReason::kCancelled) return Cancelled("the request was cancelled");
  if (out.content_filtered)
    return PermissionDenied("the answer held personal data the policy keeps back at this level");
  return std::move(out.text);
}

}  // namespace daulat::http
