#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"

namespace daulat::identity {

// Failed sign-ins slow down, then lock, per account (tenant and user name)
// and per source address, so guessing a password costs hours, not seconds,
// and one address cannot spray many accounts. After `free` failures each
// next attempt waits 2^(failures - free) seconds (up to `max_delay`); after
// `lock_after` failures the account or address is locked for `lock_for`.
// Attempts while waiting or locked are refused before any password is
// checked (no Argon2 work either). A success clears the account's count,
// never the address's: an account the attacker owns must not wash the
// address clean. Counts are forgotten after `lock_for` without failures.
// Loopback and unknown addresses are not counted per address: behind a
// reverse proxy on the same host every client arrives from loopback.
// Bounded memory: at most `max_entries` names and addresses, the longest
// idle forgotten first. In memory, per process (issue 17 shares it across
// nodes). Thread-safe.
struct SignInLimits {
  int64_t free = 3;
  int64_t max_delay_seconds = 60;
  int64_t lock_after = 10;
  int64_t lock_for_seconds = 900;
};
struct SignInThrottleOptions {
  SignInLimits account;
  SignInLimits source = {10, 60, 50, 900};  // one address may front many people (NAT)
  size_t max_entries = 100000;
};

class SignInThrottle {
 public:
  using Limits = SignInLimits;
  using Options = SignInThrottleOptions;
  explicit SignInThrottle(const Clock& clock = SystemClock(), Options options = {});

  // OK, or RESOURCE_EXHAUSTED naming the wait ("... retry after 30 s"). An
  // attempt let through is reserved until Failed, Succeeded or Abandoned
  // decides it, so guesses sent in parallel count before they are checked:
  // no more run at once than the failures still free (one once they are spent).
  Status Check(std::string_view tenant, std::string_view username, std::string_view source);
  // Counts a failure; returns what it changed for the audit record ("the
  // account is locked for 900 s"), or "".
  std::string Failed(std::string_view tenant, std::string_view username, std::string_view source);
  void Succeeded(std::string_view tenant, std::string_view username, std::string_view source);
  // The attempt could not be decided (the store failed): nothing counted.
  void Abandoned(std::string_view tenant, std::string_view username, std::string_view source);

 private:
  struct Entry {
    int64_t failures = 0;
    int64_t pending = 0;  // attempts let through and not yet decided
    double last_seen = 0;
    double blocked_until = 0;
    std::list<std::string>::iterator age;
  };
  Entry* Find(const std::string& key, double now);
  Entry& Touch(const std::string& key, double now);
  std::string Count(const std::string& key, const Limits& limits, const char* what, double now);
  static std::string AccountKey(std::string_view tenant, std::string_view username);
  static bool Counted(std::string_view source);
  void Release(const std::string& key, double now);

  const Clock& clock_;
  Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  std::list<std::string> by_age_;                   // GUARDED_BY(mu_): least recent first
};

}  // namespace daulat::identity
