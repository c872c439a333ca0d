#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace daulat::identity {

// Failed sign-ins slow down, then lock, so guessing a password costs
// hours, not seconds, without handing anyone who can type a user name the
// power to lock its owner out. Three counts, each with its own limits:
// - an account from one address (the plain guesser): after `free` failures
//   each next attempt waits 2^(failures - free) seconds (up to
//   `max_delay`); after `lock_after` failures that address is locked out of
//   that account for `lock_for`. The owner, elsewhere, still signs in.
// - an account from anywhere (guesses spread over many addresses): waits
//   only, never a lock, so a botnet can slow an account, not close it; and
//   an address that has signed in to the account before is not held by
//   this wait at all (its own count still holds), so an attacker renewing
//   the wait as it ends cannot keep the owner out of their usual desk.
// - an address, across accounts (one password sprayed everywhere): waits,
//   then a lock. An IPv6 address counts as its /64 (one host's share), an
//   IPv4 address written as IPv6 as that IPv4 address; and an IPv6 /48 (one
//   site) has a count of its own, so spraying from each /64 in turn is
//   counted too.
// Attempts while waiting or locked are refused before any password is
// checked (no Argon2 work either). A success clears the account's counts,
// never the address's: an account the attacker owns must not wash the
// address clean. Counts are forgotten after the longest `lock_for` without
// failures. Loopback and unknown addresses are not counted by address (nor
// the account from them): behind a reverse proxy on the same host every
// client arrives from loopback; the account-wide waits still hold.
// Bounded memory: at most `max_entries` counts, the longest idle forgotten
// first (in this process; SharedSignInThrottle keeps the counts in Valkey
// for every node, each expiring when it would be forgotten).
// Thread-safe.
struct SignInLimits {
  int64_t free = 3;
  int64_t max_delay_seconds = 60;
  int64_t lock_after = 10;  // 0: never locks
  int64_t lock_for_seconds = 900;
};
struct SignInThrottleOptions {
  SignInLimits account_from_address;
  SignInLimits account = {10, 30, 0, 900};
  SignInLimits address = {10, 60, 50, 900};   // one address may front many people (NAT)
  SignInLimits network = {30, 60, 150, 900};  // an IPv6 /48
  size_t max_entries = 100000;
};

class SignInThrottle {
 public:
  using Limits = SignInLimits;
  using Options = SignInThrottleOptions;
  virtual ~SignInThrottle() = default;

  // The address a source is counted as: an IPv6 /64 ("2001:db8:1:2::/64"),
  // IPv4 for IPv4-mapped IPv6, the text as given when it is no address; ""
  // for loopback and unknown sources, which are not counted.
  static std::string CountedAddress(std::string_view source);
  // The IPv6 /48 of a counted IPv6 source ("2001:db8:7::/48"), else "".
  static std::string CountedNetwork(std::string_view source);

  // OK, or RESOURCE_EXHAUSTED naming the wait ("... retry after 30 s"). An
  // attempt let through is reserved until Failed, Succeeded or Abandoned
  // decides it, so guesses sent in parallel count before they are checked:
  // no more run at once than the failures still free (one once they are spent).
  virtual Status Check(std::string_view tenant, std::string_view username,
                       std::string_view source) = 0;
  // Counts a failure; returns what it changed for the audit record
  // ("account from this address locked for 900 s ..."), or "".
  virtual std::string Failed(std::string_view tenant, std::string_view username,
                             std::string_view source) = 0;
  virtual void Succeeded(std::string_view tenant, std::string_view username,
                         std::string_view source) = 0;
  // The attempt could not be decided (the store failed): nothing counted.
  virtual void Abandoned(std::string_view tenant, std::string_view username,
                         std::string_view source) = 0;

 protected:
  enum class Scope { kAccount, kAccountFromAddress, kAddress, kNetwork };
  // The counts one attempt touches, with their limits and names. The
  // account comes first, then (for a counted source) the account from this
  // address, the address and its network.
  struct Counter {
    std::string key;
    const Limits* limits;
    const char* what;
    Scope scope;
  };
  static std::vector<Counter> CountersFor(const Options& options, std::string_view tenant,
                                          std::string_view username, std::string_view source);
  // How long an idle count is remembered: the longest wait or lock.
  static int64_t ForgetAfterSeconds(const Options& options);
  static Status Waiting(int64_t seconds);
  static Status Busy();
  static std::string LockedNote(const Counter& c, int64_t failures);
  static std::string SlowedNote(const Counter& c, int64_t delay);
  // Signed in from there within this long: the account-wide wait does not hold it.
  static constexpr double kRememberedSeconds = 90.0 * 86400;
};

// The counts of this process alone, in memory: the embedded default, and a
// node's fallback while Valkey is unreachable when the operator chose that.
class LocalSignInThrottle final : public SignInThrottle {
 public:
  explicit LocalSignInThrottle(const Clock& clock = SystemClock(), Options options = {});

  Status Check(std::string_view tenant, std::string_view username,
               std::string_view source) override;
  std::string Failed(std::string_view tenant, std::string_view username,
                     std::string_view source) override;
  void Succeeded(std::string_view tenant, std::string_view username,
                 std::string_view source) override;
  void Abandoned(std::string_view tenant, std::string_view username,
                 std::string_view source) override;

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
  std::string Count(const Counter& c, double now);
  void Release(const std::string& key, double now);
  // Whether `account_from_address` (a counter key) has signed in before.
  bool Known(const std::string& account_from_address, double now) const;
  void Remember(const std::string& account_from_address, double now);

  const Clock& clock_;
  Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  std::list<std::string> by_age_;                   // GUARDED_BY(mu_): least recent first
  // Account-and-address pairs that signed in, with when (forgotten after 90
  // days, the oldest first beyond max_entries).
  struct KnownPair {
    double when = 0;
    std::list<std::string>::iterator age;
  };
  std::unordered_map<std::string, KnownPair> known_;  // GUARDED_BY(mu_)
  std::list<std::string> known_by_age_;               // GUARDED_BY(mu_): oldest first
};

}  // namespace daulat::identity
