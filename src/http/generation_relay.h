#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/scheduler.h"
#include "governance/pii_filter.h"
#include "http/http_server.h"

namespace daulat::http {

// Drops the whitespace a chat template leaves before the answer ("Assistant:"
// then " Kuala ..."), identically for streamed and whole answers.
class LeadingTrim {
 public:
  std::string operator()(std::string text);

 private:
  bool at_start_ = true;
};

// Turns one generation's scheduler updates into an OpenAI response: a stream
// of chunks (SSE) or one JSON body. Runs on the scheduler thread; everything
// it does is a post to the connection. Lives until the final update.
struct GenerationRelay {
  using json = nlohmann::json;
  std::function<json(const std::string& delta, const json& finish_reason, bool first)> chunk;
  std::function<json(const std::string& text, const char* finish_reason,
                     const engine::GenerationStats&)>
      whole;
  std::function<void(const engine::GenerationStats&)> record;
  std::function<void(unsigned, const json&)> reply;  // 499: the client left
  std::function<void(const Status&)> fail;
  // Called once before the final reply with the answer as released and the
  // output guard's verdict (OK, PERMISSION_DENIED when it blocked the answer).
  std::function<void(const std::string& text, const Status& guard)> finished;
  // Output PII guard (may be null): masks, blocks, and restores the caller's
  // masked values; a blocked answer ends with finish_reason "content_filter".
  std::shared_ptr<governance::OutputGuard> guard;
  Status guard_status;
  std::shared_ptr<Responder> responder;
  bool stream = false;
  bool include_usage = false;
  bool first = true;
  bool trim = false;
  bool tools = false;  // answer may hold a tool call: parsed at the end, not streamed
  LeadingTrim trimmer;
  std::string text;

  void OnUpdate(engine::InferenceUpdate&& u);

 private:
  // Runs a piece of model text through the guard; empty once it has refused.
  std::string Guard(std::string piece);
  std::string GuardFinish();
};

nlohmann::json Usage(const engine::GenerationStats& s);

}  // namespace daulat::http
