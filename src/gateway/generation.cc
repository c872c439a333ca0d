// Generation: one request's model calls under governance: the prompt rule
// on every text the model reads, a token reservation per call, the local
// scheduler, and the output rule on everything that comes back. Scheduler
// updates leave the scheduler's thread at once: to a strand on the service's
// workers, or to the thread waiting in Run.

#include <boost/asio/post.hpp>
#include <exception>
#include <future>
#include <optional>

#include "engine/structured_output.h"
#include "gateway/generation_call.h"

namespace daulat::gateway {
namespace {

std::string CountsText(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [type, n] : counts)
    out += (out.empty() ? "" : ", ") + type + " x" + std::to_string(n);
  return out;
}

}  // namespace

void Generation::Call::OnUpdate(engine::InferenceUpdate& u) {
  if (!echoed) Emit(echo);  // the caller's own prompt leads an echoed answer
  echoed = true;
  std::string piece = chat ? trim(std::move(u.text)) : std::move(u.text);
  if (tools) {
    text += piece;
  } else {
    piece = Guard(piece);
    text += piece;
    Emit(piece);
  }
  if (!u.finished) return;
  if (tools) {
    std::string raw = std::move(text);
    text = Guard(raw);
    text += GuardFinish();
  } else {
    std::string tail = GuardFinish();
    text += tail;
    Emit(tail);
  }
  GenerationOutcome out;
  out.status = u.status;
  out.finish = u.finish_reason;
  out.stats = u.stats;
  // A failing guard fails closed; a blocking one ends the answer where it stopped.
  if (!guard_status.ok() && guard_status.code() != StatusCode::kPermissionDenied && out.status.ok())
    out.status = guard_status;
  out.content_filtered = guard_status.code() == StatusCode::kPermissionDenied;
  if (tools && out.status.ok() && !out.content_filtered) {
    auto parsed = ParseToolReply(text);
    if (!parsed.ok()) {
      out.status = u.finish_reason == engine::FinishReason::kLength
                       ? InvalidArgument("max_tokens ended the tool call before it was complete")
                       : parsed.status();
    } else {
      text = std::move(parsed->content);
      out.tool_calls = std::move(parsed->calls);
    }
  }
  out.text = echo + text;
  Deliver(std::move(out));
}

void Generation::Call::Deliver(GenerationOutcome outcome) {
  Generation& g = *owner;
  g.Settle(reserved, outcome.stats);
  for (const auto& [type, n] : guard->counts()) g.ctx_.pii_counts["output_" + type] += n;
  if (outcome.content_filtered)
    g.ctx_.decision_reason += "; answer stopped: " + guard_status.message();
  // Every call's text, in order (the choices of an n > 1 request).
  if (!g.ctx_.output_text.empty()) g.ctx_.output_text += "\n\n";
  g.ctx_.output_text += outcome.text;
  for (const auto& c : outcome.tool_calls) g.ctx_.output_text += "\n" + c.arguments;
  {
    std::lock_guard lock(g.mu_);
    g.ticket_.reset();
  }
  auto done = std::move(callbacks.on_done);
  callbacks = {};  // the caller's state may hold this call: let it go
  done(std::move(outcome));
}

Generation::Generation(GenerationService& service, RequestContext& ctx)
    : service_(service),
      ctx_(ctx),
      masker_(service.options_.pii_scan),
      cancelled_(std::make_shared<std::atomic<bool>>(false)) {}

Generation::~Generation() = default;

void Generation::Cancel() {
  cancelled_->store(true);
  std::lock_guard lock(mu_);
  if (ticket_) ticket_->Cancel();
}

void Generation::Settle(int64_t reserved, const engine::GenerationStats& stats) {
  ctx_.prompt_tokens += stats.prompt_tokens;
  ctx_.completion_tokens += stats.completion_tokens;
  auto* quotas = service_.options_.quotas;
  if (quotas == nullptr || !ctx_.caller.authenticated) return;
  const auto& p = ctx_.caller.principal;
  quotas->Settle(p.subject, p.tenant_id, reserved,
                 static_cast<int64_t>(stats.prompt_tokens + stats.completion_tokens));
}

Status Generation::GuardPrompt(GenerationRequest& r) {
  const auto mode = rules_.pii_prompt;
  // Every text the model reads, or that leaves for a remote engine.
  std::vector<std::string*> texts;
  if (r.chat) {
    for (auto& m : r.messages) texts.push_back(&m.content);
    for (auto& t : r.tools.tools) {
      texts.push_back(&t.name);
      texts.push_back(&t.description);
      texts.push_back(&t.parameters_schema);
    }
    if (!r.tools.named.empty()) texts.push_back(&r.tools.named);
    if (!r.json_schema.empty()) texts.push_back(&r.json_schema);
  } else {
    texts.push_back(&r.prompt);
  }
  for (auto& stop : r.params.stop) texts.push_back(&stop);
  std::map<std::string, int64_t> counts;
  std::vector<std::string>
      seen;  // as the model will read them; kept only if the rule lets them pass
  try {
    std::vector<governance::PiiFinding> findings;
    for (std::string* text : texts) {
      std::string masked = masker_.Mask(*text, &findings);
      if (mode == governance::PiiMode::kMask) *text = std::move(masked);
      seen.push_back(*text);
    }
    for (const auto& f : findings) ++counts[std::string(governance::PiiTypeName(f.type))];
  } catch (const std::exception& e) {
    ctx_.decision_reason = std::string("the PII guard failed (") + e.what() + "); request blocked";
    return Internal(ctx_.decision_reason);
  } catch (...) {
    ctx_.decision_reason = "the PII guard failed; request blocked";
    return Internal(ctx_.decision_reason);
  }
  for (const auto& [type, n] : counts) ctx_.pii_counts[type] += n;
  const auto keep = [&] {
    for (auto& text : seen) ctx_.contents.push_back(std::move(text));
  };
  if (counts.empty()) {
    keep();
    return Status::Ok();
  }
  if (mode == governance::PiiMode::kBlock) {
    ctx_.decision_reason = "the prompt contains personal data (" + CountsText(counts) +
                           ") and policy v" + std::to_string(ctx_.policy_version) +
                           " blocks personal data in " + std::string(ClassificationName(level_)) +
                           " prompts";
    return PermissionDenied(ctx_.decision_reason);
  }
  ctx_.decision_reason += "; PII in prompt " +
                          std::string(mode == governance::PiiMode::kMask ? "masked" : "allowed") +
                          " (" + CountsText(counts) + ")";
  keep();
  return Status::Ok();
}

Result<GuardedPassages> Generation::GuardPassages(std::string_view question,
                                                  const std::vector<std::string_view>& passages) {
  const auto mode = rules_.pii_prompt;
  GuardedPassages out;
  std::map<std::string, int64_t> counts;
  size_t withheld = 0;
  try {
    std::vector<governance::PiiFinding> found;
    out.question = masker_.Mask(question, &found);
    for (const auto& f : found) ++counts[std::string(governance::PiiTypeName(f.type))];
    if (!found.empty() && mode == governance::PiiMode::kBlock) {
      ctx_.decision_reason += "; the question contains personal data and policy v" +
                              std::to_string(ctx_.policy_version) + " blocks it in " +
                              std::string(ClassificationName(level_)) + " prompts";
      for (const auto& [type, n] : counts) ctx_.pii_counts[type] += n;
      return PermissionDenied("the question contains personal data (" + CountsText(counts) +
                              "), which the policy keeps from the model at this level");
    }
    if (mode != governance::PiiMode::kMask) out.question = std::string(question);
    for (size_t i = 0; i < passages.size(); ++i) {
      std::vector<governance::PiiFinding> in_passage;
      std::string masked = masker_.Mask(passages[i], &in_passage);
      for (const auto& f : in_passage) ++counts[std::string(governance::PiiTypeName(f.type))];
      if (!in_passage.empty() && mode == governance::PiiMode::kBlock) {
        ++withheld;
        continue;
      }
      out.passages.push_back(mode == governance::PiiMode::kMask ? std::move(masked)
                                                                : std::string(passages[i]));
      out.kept.push_back(i);
    }
  } catch (const std::exception& e) {
    ctx_.decision_reason += std::string("; the PII guard failed (") + e.what() + ")";
    return Internal(std::string("the PII guard failed (") + e.what() + "); request blocked");
  }
  // Allowed texts reach the prompt as they are and are counted there.
  if (mode != governance::PiiMode::kAllow)
    for (const auto& [type, n] : counts) ctx_.pii_counts[type] += n;
  if (counts.empty()) return out;
  ctx_.decision_reason +=
      mode == governance::PiiMode::kBlock
          ? "; " + std::to_string(withheld) + " passages with personal data withheld"
      : mode == governance::PiiMode::kMask
          ? "; personal data in the question and sources masked before the model"
          : "; personal data in the question and sources allowed (" + CountsText(counts) + ")";
  return out;
}

Generation::Started Generation::Start(GenerationRequest request, GenerationCallbacks callbacks) {
  if (cancelled_->load()) return {Cancelled("the request was cancelled"), ""};
  if (Status st = GuardPrompt(request); !st.ok()) return {st, ""};
  return local_ != nullptr ? StartLocal(std::move(request), std::move(callbacks), nullptr)
                           : StartRemote(std::move(request), std::move(callbacks));
}

Generation::Started Generation::StartLocal(GenerationRequest r, GenerationCallbacks callbacks,
                                           const std::shared_ptr<Inbox>& inbox) {
  HostedModel& m = *local_;
  auto call = std::make_shared<Call>(service_.workers_);
  call->owner = this;
  call->chat = r.chat;
  const bool use_tools = r.chat && !r.tools.tools.empty() && r.tools.choice != ToolChoice::kNone;
  call->tools = use_tools;
  engine::SamplingParams params = std::move(r.params);
  if (use_tools) {
    auto grammar = PrepareToolConversation(r.tools, r.messages);
    if (!grammar.ok()) return {grammar.status(), "tools"};
    params.grammar = std::move(grammar->grammar);
    params.grammar_triggers = std::move(grammar->triggers);
  }
  if (r.chat && (!r.json_schema.empty() || r.json_object)) {
    auto grammar = r.json_object ? engine::GrammarForJsonObject()
                                 : engine::GrammarForJsonSchema(r.json_schema);
    if (!grammar.ok()) return {grammar.status(), "response_format"};
    params.grammar = std::move(grammar).value();
  }
  engine::InferenceRequest req;
  if (r.chat) {
    auto prompt = m.chat_template->Apply(r.messages);
    if (!prompt.ok()) return {prompt.status(), "messages"};
    params.stop.insert(params.stop.end(), prompt->stops.begin(), prompt->stops.end());
    params.stop.insert(params.stop.end(), m.template_stops.begin(), m.template_stops.end());
    req.prompt = m.model->Tokenize(prompt->text, /*add_special=*/true, /*parse_special=*/true);
  } else {
    req.prompt = m.model->Tokenize(r.prompt, /*add_special=*/true, /*parse_special=*/false);
  }
  // The caller's own (masked) prompt comes back with its values.
  const auto originals = rules_.pii_prompt == governance::PiiMode::kMask
                             ? masker_.originals()
                             : std::map<std::string, std::string>{};
  if (r.echo) call->echo = governance::Unmask(r.prompt, originals);
  call->guard = std::make_unique<governance::OutputGuard>(service_.options_.pii_scan,
                                                          rules_.pii_output, originals);
  if (auto* quotas = service_.options_.quotas; quotas != nullptr && ctx_.caller.authenticated) {
    // What the call can really use: the model's room for an answer, or less.
    const auto prompt_tokens = static_cast<int64_t>(req.prompt.size());
    const int64_t room = std::max<int64_t>(
        1, static_cast<int64_t>(m.scheduler->options().per_sequence_limit()) - prompt_tokens);
    const int64_t wanted =
        params.max_tokens > 0 ? std::min<int64_t>(params.max_tokens, room) : room;
    const auto& p = ctx_.caller.principal;
    auto granted = quotas->Reserve(p.subject, p.tenant_id, prompt_tokens, wanted);
    if (!granted.ok()) return {granted.status(), ""};
    if (*granted < wanted) params.max_tokens = static_cast<int32_t>(*granted);
    call->reserved = prompt_tokens + *granted;
  }
  req.params = std::move(params);
  req.partition = ctx_.caller.partition;
  if (service_.options_.request_timeout.count() > 0)
    req.timeout_seconds = std::chrono::duration<double>(service_.options_.request_timeout).count();
  call->callbacks = std::move(callbacks);
  const int64_t reserved = call->reserved;
  if (inbox) inbox->call = call;
  // The scheduler's thread only hands the update over.
  auto sink = [call, inbox](engine::InferenceUpdate&& u) {
    if (inbox) {
      std::lock_guard lock(inbox->mu);
      inbox->updates.push_back(std::move(u));
      inbox->ready.notify_one();
      return;
    }
    boost::asio::post(call->strand, [call, u = std::move(u)]() mutable { call->OnUpdate(u); });
  };
  auto ticket = m.scheduler->Submit(std::move(req), std::move(sink));
  if (!ticket.ok()) {
    Settle(reserved, {});
    call->callbacks = {};
    const bool about_prompt = ticket.status().code() == StatusCode::kInvalidArgument;
    return {ticket.status(), about_prompt ? (r.chat ? "messages" : "prompt") : ""};
  }
  std::lock_guard lock(mu_);
  ticket_ = *ticket;
  if (cancelled_->load()) ticket_->Cancel();
  return {Status::Ok(), ""};
}

void Generation::StartOnWorker(GenerationRequest request, GenerationCallbacks callbacks) {
  boost::asio::post(service_.workers_, [this, request = std::move(request),
                                        callbacks = std::move(callbacks)]() mutable {
    auto done = callbacks.on_done;  // keeps the caller's state (and this) alive
    Started started;
    try {
      started = Start(std::move(request), std::move(callbacks));
    } catch (const std::exception& e) {  // a bug in one request never ends the process
      started = {Internal(std::string("the model call failed inside the server: ") + e.what()), ""};
    }
    if (started.status.ok()) return;
    GenerationOutcome refused;
    refused.status = started.status;
    refused.param = started.param;
    done(std::move(refused));
  });
}

GenerationOutcome Generation::Run(GenerationRequest request,
                                  const std::function<void(const std::string&)>& on_text) {
  std::optional<GenerationOutcome> outcome;
  std::promise<GenerationOutcome> remote_done;
  GenerationCallbacks callbacks;
  callbacks.on_text = on_text;
  const auto fail = [](const Started& s) {
    GenerationOutcome failed;
    failed.status = s.status;
    failed.param = s.param;
    return failed;
  };
  if (local_ == nullptr || cancelled_->load()) {
    callbacks.on_done = [&remote_done](GenerationOutcome&& o) {
      remote_done.set_value(std::move(o));
    };
    const auto started = Start(std::move(request), std::move(callbacks));
    if (!started.status.ok()) return fail(started);
    return remote_done.get_future().get();
  }
  if (Status st = GuardPrompt(request); !st.ok()) return fail({st, ""});
  callbacks.on_done = [&outcome](GenerationOutcome&& o) { outcome = std::move(o); };
  auto inbox = std::make_shared<Inbox>();
  const auto started = StartLocal(std::move(request), std::move(callbacks), inbox);
  if (!started.status.ok()) return fail(started);
  // This thread guards the updates as they come; the call ends with the final one.
  while (!outcome) {
    engine::InferenceUpdate u;
    {
      std::unique_lock lock(inbox->mu);
      inbox->ready.wait(lock, [&] { return !inbox->updates.empty(); });
      u = std::move(inbox->updates.front());
      inbox->updates.pop_front();
    }
    inbox->call->OnUpdate(u);
  }
  return std::move(*outcome);
}

}  // namespace daulat::gateway
