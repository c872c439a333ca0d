#include "http/grounded_calls.h"

#include "http/openai_errors.h"

namespace daulat::http {

void EndStream(const CallPtr& call, unsigned status, const nlohmann::json& final_json) {
  call->Finish(status);
  call->responder->SendEvent(JsonText(final_json));
  call->responder->SendEvent("[DONE]");
  call->responder->EndEvents();
}

void FailStream(const CallPtr& call, const Status& st) {
  call->ctx.error_message = st.message();
  EndStream(call, ErrorFor(st).status, ErrorBody(st));
}

Result<gateway::HostedModel*> ChooseModel(const ApiServices& s, ApiCall& call,
                                          const std::string& name, Classification level,
                                          governance::LevelRules* rules) {
  gateway::HostedModel* m = nullptr;
  for (const auto& hosted : s.models->models()) {
    if ((name.empty() && hosted->installed.manifest.HasCapability("chat")) ||
        hosted->installed.manifest.name == name) {
      m = hosted.get();
      break;
    }
  }
  if (m == nullptr || !m->installed.manifest.HasCapability("chat"))
    return NotFound(name.empty() ? "no chat model is served"
                                 : "the model '" + name + "' does not chat");
  call.ctx.model = m->installed.manifest.name;
  call.ctx.classified = true;
  call.ctx.classification = level;
  *rules = governance::DefaultPolicy().at(level);
  if (s.policies != nullptr) {
    auto policy = s.policies->Current(call.ctx.caller.principal.tenant_id);
    if (!policy.ok()) return policy.status();
    *rules = policy->at(level);
    call.ctx.policy_version = policy->version;
    const auto d = governance::DecideModel(*policy, level, call.ctx.model,
                                           m->installed.manifest.max_classification, "local",
                                           Classification::kRahsiaBesar);
    call.ctx.decision_reason = d.reason;
    if (!d.allowed) return PermissionDenied(d.reason);
  }
  return m;
}

Result<GuardedInput> GuardInput(const governance::PiiScanFn& scan, governance::PiiMode mode,
                                const std::string& question,
                                const std::vector<knowledge::SearchHit>& hits, ApiCall& call) {
  std::vector<std::string_view> texts;
  for (const auto& h : hits) texts.emplace_back(h.text);
  auto g = governance::GuardModelInput(scan, mode, question, texts);
  if (!g.ok()) {
    call.ctx.decision_reason += "; " + g.status().message();
    return g.status();
  }
  GuardedInput out{g->question, {}, std::move(g->originals), hits.size() - g->kept.size()};
  for (size_t i = 0; i < g->kept.size(); ++i) {
    out.sources.push_back(hits[g->kept[i]]);
    out.sources.back().text = std::move(g->passages[i]);
  }
  for (const auto& f : g->findings)
    ++call.ctx.pii_counts[std::string(governance::PiiTypeName(f.type))];
  if (!g->findings.empty())
    call.ctx.decision_reason +=
        mode == governance::PiiMode::kMask
            ? "; personal data in the question and sources masked before the model"
            : "; " + std::to_string(out.withheld) + " passages with personal data withheld";
  return out;
}

Result<engine::InferenceRequest> GroundedRequest(const gateway::HostedModel& m, const ApiCall& call,
                                                 const knowledge::GroundedPrompt& prompt,
                                                 Classification level, int max_tokens) {
  std::vector<engine::ChatMessage> messages = {{"system", prompt.system}};
  for (const auto& [question, answer] : prompt.history) {
    messages.push_back({"user", question});
    messages.push_back({"assistant", answer});
  }
  messages.push_back({"user", prompt.user});
  auto rendered = m.chat_template->Apply(messages);
  if (!rendered.ok()) return rendered.status();
  engine::InferenceRequest req;
  req.partition = "tenant:" + call.ctx.caller.principal.tenant_id + "|" +
                  std::string(ClassificationName(level));
  req.prompt = m.model->Tokenize(rendered->text, /*add_special=*/true, /*parse_special=*/true);
  req.params.temperature = 0;  // grounded output: no sampling noise
  req.params.max_tokens = max_tokens;
  req.params.stop = rendered->stops;
  req.params.stop.insert(req.params.stop.end(), m.template_stops.begin(), m.template_stops.end());
  const auto& grounded = knowledge::GroundedStops();
  req.params.stop.insert(req.params.stop.end(), grounded.begin(), grounded.end());
  return req;
}

}  // namespace daulat::http
