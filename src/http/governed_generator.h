#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "gateway/generation_service.h"
#include "knowledge/text_generator.h"

namespace daulat::http {

// Lumin's (and the readiness narrative's) model, through the one governed
// path: Open begins a generation for the request at the sources' level, and
// every call is greedy, grounded and guarded by the gateway's service. The
// request's context receives what the service decides (audit, content log,
// usage). One request; Cancel may come from any thread.
class GovernedGenerator : public knowledge::TextGenerator {
 public:
  // `model` empty: the first local chat model. `ctx` outlives this.
  GovernedGenerator(gateway::GenerationService& service, gateway::RequestContext& ctx,
                    std::string model)
      : service_(service), ctx_(ctx), model_(std::move(model)) {}

  Status Open(Classification level) override;
  Result<knowledge::GuardedSources> Guard(std::string_view question,
                                          const std::vector<std::string_view>& passages) override;
  Result<std::string> Generate(const knowledge::GroundedPrompt& prompt, int max_tokens,
                               const std::function<void(const std::string&)>& on_text) override;
  // Stops the call running now and every later one (the client left).
  void Cancel();
  // The model chosen by Open ("" before).
  std::string model() const;

 private:
  gateway::GenerationService& service_;
  gateway::RequestContext& ctx_;
  std::string model_;
  mutable std::mutex mu_;
  bool cancelled_ = false;                           // GUARDED_BY(mu_)
  std::shared_ptr<gateway::Generation> generation_;  // GUARDED_BY(mu_) once set
};

}  // namespace daulat::http
