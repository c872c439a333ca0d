#pragma once

// Internal to the gateway: one model call of a Generation in flight.

#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/generation_service.h"

namespace daulat::gateway {

// Drops the whitespace a chat template leaves before the answer
// ("Assistant:" then " Kuala ..."), identically for streamed and whole answers.
class LeadingTrim {
 public:
  std::string operator()(std::string text) {
    if (!at_start_) return text;
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    at_start_ = false;
    return text.substr(first);
  }

 private:
  bool at_start_ = true;
};

// Updates for a caller that waits in Generation::Run and handles them itself.
struct Generation::Inbox {
  std::mutex mu;
  std::condition_variable ready;
  std::deque<engine::InferenceUpdate> updates;  // GUARDED_BY(mu)
  std::shared_ptr<Call> call;                   // the call they belong to
};

// One model call in flight: lives until its outcome is delivered. Everything
// here runs on the call's strand.
struct Generation::Call {
  using Strand = boost::asio::strand<boost::asio::thread_pool::executor_type>;
  explicit Call(boost::asio::thread_pool& pool) : strand(boost::asio::make_strand(pool)) {}

  Strand strand;
  Generation* owner = nullptr;
  GenerationCallbacks callbacks;
  std::unique_ptr<governance::OutputGuard> guard;
  Status guard_status;
  bool chat = true;
  bool tools = false;  // the answer may be a tool call: guarded and parsed whole at the end
  std::string echo;
  bool echoed = false;
  LeadingTrim trim;
  std::string text;
  int64_t reserved = 0;

  // A piece of model text through the output guard; empty once it has refused.
  std::string Guard(const std::string& piece) {
    if (piece.empty() || !guard_status.ok()) return {};
    auto released = guard->Push(piece);
    if (!released.ok()) {
      guard_status = released.status();
      return {};
    }
    return std::move(released).value();
  }
  std::string GuardFinish() {
    if (!guard_status.ok()) return {};
    auto released = guard->Finish();
    if (!released.ok()) {
      guard_status = released.status();
      return {};
    }
    return std::move(released).value();
  }
  void Emit(const std::string& piece) {
    if (!piece.empty() && callbacks.on_text) callbacks.on_text(piece);
  }

  void OnUpdate(engine::InferenceUpdate& u);
  void Deliver(GenerationOutcome outcome);
};

}  // namespace daulat::gateway
