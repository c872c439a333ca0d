#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "governance/audit_writer.h"

namespace daulat::gateway {

// Who is calling, as established by the authentication stage.
struct Caller {
  bool authenticated = false;
  std::string key_id;  // stable, non-secret identifier of the credential
  // Prompt-cache partition: requests share cached prefixes only within one.
  std::string partition = "anonymous";
};

// Everything the stages know about one request. Stages read what earlier
// stages wrote; nothing here holds the request body or secrets beyond the
// raw Authorization header, which only the authenticator reads.
struct RequestContext {
  std::string request_id;
  std::string route;          // "/v1/chat/completions"
  std::string authorization;  // raw header value
  Caller caller;
  // Filled in as the request is served, for the completion stages.
  std::string model;
  unsigned http_status = 0;
  size_t prompt_tokens = 0;
  size_t completion_tokens = 0;
  double duration_ms = 0;
};

// One step of the request chain: authenticate → authorise → quotas → policy →
// PII guard → engine → output guard → audit → metering. OnRequest runs before
// the engine (in order; the first error ends the request with that error),
// OnComplete after the response (in reverse order) for audit and metering.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual Status OnRequest(RequestContext& ctx) = 0;
  virtual void OnComplete(const RequestContext& ctx) { (void)ctx; }
};

// Immutable after construction; safe to run from many threads at once.
class Pipeline {
 public:
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}
  Status Admit(RequestContext& ctx) const;
  void Complete(const RequestContext& ctx) const;
  std::vector<std::string_view> stage_names() const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

// Static bearer token from configuration (or DAULAT_API_KEY). With no token
// configured every caller is anonymous, which the server only allows on
// loopback. Tokens are compared in constant time and never logged.
class BearerTokenAuthenticator : public Stage {
 public:
  explicit BearerTokenAuthenticator(std::string token) : token_(std::move(token)) {}
  std::string_view name() const override { return "authenticate"; }
  Status OnRequest(RequestContext& ctx) override;

 private:
  std::string token_;
};

// Metering: one structured log line per request with caller, model, tokens,
// status and duration (never content).
class UsageLogger : public Stage {
 public:
  std::string_view name() const override { return "metering"; }
  Status OnRequest(RequestContext& /*ctx*/) override { return Status::Ok(); }
  void OnComplete(const RequestContext& ctx) override;
};

// Audit: one record per request (who, which route and model, the outcome,
// token counts), handed to a background writer; never content or keys.
class AuditStage : public Stage {
 public:
  explicit AuditStage(governance::AuditWriter& writer) : writer_(writer) {}
  std::string_view name() const override { return "audit"; }
  Status OnRequest(RequestContext& /*ctx*/) override { return Status::Ok(); }
  void OnComplete(const RequestContext& ctx) override;

 private:
  governance::AuditWriter& writer_;
};

}  // namespace daulat::gateway
