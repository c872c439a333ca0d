#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "engine/chat_template.h"
#include "engine/sampling.h"
#include "gateway/model_host.h"
#include "gateway/pipeline.h"
#include "gateway/quota.h"
#include "gateway/remote_backends.h"
#include "gateway/tool_calls.h"
#include "governance/pii_filter.h"
#include "governance/policy.h"

namespace daulat::gateway {

// One model call as its caller means it: a chat or a plain-text completion,
// how to sample, and what the answer must look like. The service turns it
// into tokens (chat template, tool instructions, grammars) only after the
// governance checks.
struct GenerationRequest {
  bool chat = true;
  std::vector<engine::ChatMessage> messages;  // chat: assistant tool calls already in text form
  std::string prompt;                         // completion: the raw text, no template
  engine::SamplingParams params;
  ToolRequest tools;        // chat: functions the model may call
  std::string json_schema;  // response_format json_schema: the schema text
  bool json_object = false;
  bool echo = false;  // completion: the answer begins with the prompt (the caller's own values)
};

// How a model call ended, after the output guard. `status` not OK: the call
// failed (queue full, deadline, guard error) and nothing of `text` counts.
struct GenerationOutcome {
  Status status;
  std::string param;  // the request field a failure is about ("messages", "tools"), if any
  std::string text;   // the answer as released: guarded, the caller's masked values restored
  std::vector<ToolCall> tool_calls;  // arguments guarded like the text
  engine::FinishReason finish = engine::FinishReason::kStop;
  bool content_filtered = false;  // the output rule blocked the answer: it ends where it stopped
  engine::GenerationStats stats;
};

// Receives one model call's results on the service's worker threads, in
// order: text pieces as the output guard releases them (never for tool
// calls, whose text is only known whole), then exactly one outcome.
struct GenerationCallbacks {
  std::function<void(const std::string& piece)> on_text;  // may be empty
  std::function<void(GenerationOutcome&&)> on_done;
};

// What the model may read of a question and the passages retrieved for it
// (Lumin): see governance::GuardModelInput. Placeholders are numbered with
// the request's other texts.
struct GuardedPassages {
  std::string question;
  std::vector<std::string> passages;  // the kept ones, in order
  std::vector<size_t> kept;           // their indices in the input
};

class GenerationService;

// One request's way to a model and back under governance: the model or
// backend the tenant's policy allows at the request's level, quota admission
// (once per request), and then any number of model calls, each with the PII
// rule on every text the model reads and the output rule on every text that
// comes back. Everything it decides is written to the request's context
// (classification, rules, reasons, PII counts, the texts as the model saw
// them, the answer, tokens), from which the pipeline's completion stages
// write the audit record, the content log and the usage. Calls are made one
// at a time; Cancel may come from any thread.
class Generation {
 public:
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  const std::string& model() const { return model_; }

  // Lumin's sources under the level's prompt rule: allow, mask (one
  // numbering with every other text of the request), or block (passages with
  // personal data withheld; PERMISSION_DENIED when the question has some).
  Result<GuardedPassages> GuardPassages(std::string_view question,
                                        const std::vector<std::string_view>& passages);

  // Starts one model call; results arrive through `callbacks` (not called
  // when Start fails). INVALID_ARGUMENT (with `param`) for a request the
  // model cannot take, PERMISSION_DENIED when the prompt rule blocks it,
  // RESOURCE_EXHAUSTED when the token budget is spent or the queue is full.
  struct Started {
    Status status;
    std::string param;
  };
  Started Start(GenerationRequest request, GenerationCallbacks callbacks);
  // Start on one of the service's workers, so that the prompt rule, the
  // template and the tokens of a large request never hold the caller's
  // thread (an HTTP I/O thread). A refusal arrives through on_done, with
  // `status` and `param` set. The Generation must live until on_done.
  void StartOnWorker(GenerationRequest request, GenerationCallbacks callbacks);
  // Start and wait: for threads that may block (the CLI, Lumin's workers).
  // `on_text` as in GenerationCallbacks, but called on this thread: a local
  // model's updates are handed from the scheduler's thread to this one, which
  // guards them itself (one thread hop, as for a caller of the bare scheduler).
  GenerationOutcome Run(GenerationRequest request,
                        const std::function<void(const std::string&)>& on_text = nullptr);

  // Cancels the call running now and refuses later ones (the client left).
  void Cancel();

 private:
  friend class GenerationService;
  struct Call;
  struct Inbox;
  Generation(GenerationService& service, RequestContext& ctx);
  // The PII rule over every text the model will read, in place.
  Status GuardPrompt(GenerationRequest& request);
  // `inbox` null: updates go to the call's strand on the service's workers;
  // else into `inbox`, for the thread in Run to take.
  Started StartLocal(GenerationRequest request, GenerationCallbacks callbacks,
                     const std::shared_ptr<Inbox>& inbox);
  Started StartRemote(GenerationRequest request, GenerationCallbacks callbacks);
  void Settle(int64_t reserved, const engine::GenerationStats& stats);

  GenerationService& service_;
  RequestContext& ctx_;
  std::string model_;
  HostedModel* local_ = nullptr;                             // or:
  const governance::RemoteBackendConfig* remote_ = nullptr;  // a remote engine
  Classification level_ = Classification::kTerbuka;
  governance::LevelRules rules_;
  governance::PiiMasker masker_;
  std::shared_ptr<engine::InferenceTicket> ticket_;  // the call running now
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::mutex mu_;  // guards ticket_
};

// The kinds of work a caller may leave the model choice to the server for.
enum class Job { kChat, kAnswers, kSummaries, kNarratives };

// The model for each job when a request names none ([defaults] in the server
// config). Empty: the first served chat model.
struct DefaultModels {
  std::string chat, answers, summaries, narratives;
  const std::string& For(Job job) const {
    switch (job) {
      case Job::kAnswers: return answers;
      case Job::kSummaries: return summaries;
      case Job::kNarratives: return narratives;
      case Job::kChat: break;
    }
    return chat;
  }
};

struct GenerationServiceOptions {
  ModelHost* models = nullptr;  // required
  DefaultModels defaults;
  const RemoteBackends* remote = nullptr;       // models served by remote engines
  governance::PolicyStore* policies = nullptr;  // null: the built-in policy for every tenant
  governance::PiiScanFn pii_scan;               // null: daulat's PII recognisers
  QuotaBook* quotas = nullptr;                  // null: no quotas
  std::chrono::seconds request_timeout{0};      // 0: none; else the deadline of each model call
  size_t workers = 2;  // threads for guard scans, tool parsing and remote calls
};

// The one governed path to every model: /v1 chat, completions and
// embeddings, Lumin's answers and summaries, readiness narratives and the
// CLI all go through it, and nothing else submits to a scheduler. Model
// updates leave the scheduler's thread at once; scanning, parsing and the
// callbacks run on the service's own workers (one strand per call, so a
// call's pieces stay in order). Thread-safe; outlives its Generations.
class GenerationService {
 public:
  explicit GenerationService(GenerationServiceOptions options);
  ~GenerationService();  // waits for the workers and remote calls

  // The level a /v1 request declares (X-Daulat-Classification in
  // ctx.declared_classification; default the caller's clearance).
  // INVALID_ARGUMENT for an unknown level, PERMISSION_DENIED above the
  // caller's clearance.
  static Result<Classification> DeclaredLevel(RequestContext& ctx);

  // Admits one request of the caller against its requests per minute and
  // today's tokens (key and tenant): RESOURCE_EXHAUSTED naming when to
  // retry. Once per request, whether or not it then reaches a model (an
  // ask with no source still counts); Begin does it when it was not done.
  Status Admit(RequestContext& ctx);

  // Begins a request at `level` with `model` ("" = the first local chat
  // model): NOT_FOUND for an unknown model (param "model"),
  // PERMISSION_DENIED when the tenant's policy keeps the level from that
  // model or backend, RESOURCE_EXHAUSTED over the request rate or today's
  // tokens (Retry-After in the message), UNAVAILABLE when the policy cannot
  // be read. `ctx` must outlive the Generation.
  Result<std::unique_ptr<Generation>> Begin(RequestContext& ctx, const std::string& model,
                                            Classification level);

  // Embeddings of `inputs` (after the prompt rule) from a local model that
  // serves them, for a request begun at `level`. Blocking: call off I/O threads.
  struct Embedded {
    std::vector<std::vector<float>> vectors;
    size_t tokens = 0;
  };
  // `requested` when a request names a model, else the default for `job`
  // ("" leaves the choice to Begin: the chat default, then the first chat model).
  std::string ModelFor(Job job, const std::string& requested) const {
    return requested.empty() ? options_.defaults.For(job) : requested;
  }
  Result<Embedded> Embed(RequestContext& ctx, const std::string& model, Classification level,
                         const std::vector<std::string>& inputs,
                         const std::function<bool()>& abandoned = nullptr);

  // Waits for every model call's results to be delivered (their audit
  // records written through the callers' completion stages); call after the
  // schedulers have stopped and before the audit writer does. No calls may
  // start afterwards.
  void Drain();

 private:
  friend class Generation;
  GenerationServiceOptions options_;
  boost::asio::thread_pool workers_;
  boost::asio::thread_pool remote_calls_{4};  // blocking HTTP to remote engines
};

}  // namespace daulat::gateway
