#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "common/log.h"
#include "identity/sign_in_throttle.h"
#include "store/valkey.h"

namespace daulat::identity {

// The sign-in throttle of every node at once: the counts live in Valkey (or
// Redis), each check one Lua script, so a guesser spreading attempts over
// the nodes behind a load balancer meets the same waits and locks as on one
// node. Each count expires when the in-memory throttle would forget it; an
// attempt let through and never decided (its node died) stops holding its
// place after a minute. While Valkey is unreachable, sign-ins are refused
// (kRefuse) or counted on the node (kLocal), as the operator chose.
class SharedSignInThrottle final : public SignInThrottle {
 public:
  SharedSignInThrottle(store::Valkey& valkey, const Clock& clock = SystemClock(),
                       Options options = {},
                       store::ValkeyOutage on_unavailable = store::ValkeyOutage::kRefuse,
                       std::string prefix = "daulat");

  Status Check(std::string_view tenant, std::string_view username,
               std::string_view source) override;
  std::string Failed(std::string_view tenant, std::string_view username,
                     std::string_view source) override;
  void Succeeded(std::string_view tenant, std::string_view username,
                 std::string_view source) override;
  void Abandoned(std::string_view tenant, std::string_view username,
                 std::string_view source) override;

 private:
  using Attempt = std::tuple<std::string, std::string, std::string>;
  // The Valkey keys of the counters: their counts, then their attempts
  // being checked, then (when `known`) the addresses the account signed in
  // from.
  std::vector<std::string> KeysFor(const std::vector<Counter>& counters, bool known) const;
  // Takes the name of an attempt Check let through ("" when there is none;
  // "-" when the fallback holds it).
  std::string TakeAttempt(std::string_view tenant, std::string_view username,
                          std::string_view source);
  void KeepAttempt(Attempt key, std::string name);
  void Report(const Status& failure);

  store::Valkey& valkey_;
  const Clock& clock_;
  Options options_;
  store::ValkeyOutage on_unavailable_;
  std::string prefix_;
  std::string node_;
  LocalSignInThrottle fallback_;
  std::mutex mu_;
  struct Pending {
    std::string name;  // "-" when the fallback holds it
    std::chrono::steady_clock::time_point since;
  };
  std::multimap<Attempt, Pending> attempts_;  // GUARDED_BY(mu_)
  int64_t next_attempt_ = 0;                  // GUARDED_BY(mu_)
  RepeatedFailure failures_;                  // GUARDED_BY(mu_)
};

}  // namespace daulat::identity
