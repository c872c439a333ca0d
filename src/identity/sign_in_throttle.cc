#include "identity/sign_in_throttle.h"

#include <algorithm>
#include <cmath>

namespace daulat::identity {

SignInThrottle::SignInThrottle(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

std::string SignInThrottle::AccountKey(std::string_view tenant, std::string_view username) {
  // Length-prefixed, so no tenant or name can collide with another pair or an address.
  return "a" + std::to_string(tenant.size()) + ":" + std::string(tenant) + std::string(username);
}

SignInThrottle::Entry* SignInThrottle::Find(const std::string& key, double now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const auto forget = static_cast<double>(
      std::max(options_.account.lock_for_seconds, options_.source.lock_for_seconds));
  if (it->second.pending == 0 && now >= it->second.blocked_until &&
      now - it->second.last_seen > forget) {
    by_age_.erase(it->second.age);
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

SignInThrottle::Entry& SignInThrottle::Touch(const std::string& key, double now) {
  Entry* e = Find(key, now);
  if (e != nullptr) {
    by_age_.splice(by_age_.end(), by_age_, e->age);
    e->last_seen = now;
    return *e;
  }
  while (entries_.size() >= options_.max_entries && !by_age_.empty()) {
    entries_.erase(by_age_.front());
    by_age_.pop_front();
  }
  by_age_.push_back(key);
  Entry& fresh = entries_[key];
  fresh.age = std::prev(by_age_.end());
  fresh.last_seen = now;
  return fresh;
}

Status SignInThrottle::Check(std::string_view tenant, std::string_view username,
                             std::string_view source) {
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  const std::string account = AccountKey(tenant, username);
  const std::string address = "s" + std::string(source);
  double until = 0;
  bool busy = false;
  const auto judge = [&](const std::string& key, const Limits& limits) {
    const Entry* e = Find(key, now);
    if (e == nullptr) return;
    until = std::max(until, e->blocked_until);
    busy = busy || e->pending >= std::max<int64_t>(1, limits.free - e->failures);
  };
  judge(account, options_.account);
  if (Counted(source)) judge(address, options_.source);
  if (until > now) {
    const auto wait = static_cast<int64_t>(std::ceil(until - now));
    return ResourceExhausted(
        "too many failed sign-ins for this account or from this address; retry after " +
        std::to_string(wait) + " s");
  }
  if (busy)
    return ResourceExhausted(
        "other sign-ins for this account or from this address are being checked; retry after 1 s");
  ++Touch(account, now).pending;
  if (Counted(source)) ++Touch(address, now).pending;
  return Status::Ok();
}

void SignInThrottle::Release(const std::string& key, double now) {
  Entry* e = Find(key, now);
  if (e != nullptr && e->pending > 0) --e->pending;
}

std::string SignInThrottle::Count(const std::string& key, const Limits& limits, const char* what,
                                  double now) {
  Entry& e = Touch(key, now);
  if (e.pending > 0) --e.pending;
  ++e.failures;
  if (e.failures >= limits.lock_after) {
    e.blocked_until = now + static_cast<double>(limits.lock_for_seconds);
    return std::string(what) + " locked for " + std::to_string(limits.lock_for_seconds) +
           " s after " + std::to_string(e.failures) + " failed sign-ins";
  }
  if (e.failures > limits.free) {
    const int64_t doubling = std::min<int64_t>(e.failures - limits.free - 1, 30);
    const int64_t delay = std::min<int64_t>(int64_t{1} << doubling, limits.max_delay_seconds);
    e.blocked_until = now + static_cast<double>(delay);
    return std::string(what) + " slowed: next attempt in " + std::to_string(delay) + " s";
  }
  return {};
}

bool SignInThrottle::Counted(std::string_view source) {
  // A proxy on this host (or an unknown peer) stands for many people: locking
  // it would lock everyone out. Their accounts are still throttled.
  return !source.empty() && source != "::1" && source.rfind("127.", 0) != 0;
}

std::string SignInThrottle::Failed(std::string_view tenant, std::string_view username,
                                   std::string_view source) {
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  std::string note = Count(AccountKey(tenant, username), options_.account, "account", now);
  const std::string by_source =
      Counted(source) ? Count("s" + std::string(source), options_.source, "address", now) : "";
  if (!by_source.empty()) note += (note.empty() ? "" : "; ") + by_source;
  return note;
}

void SignInThrottle::Succeeded(std::string_view tenant, std::string_view username,
                               std::string_view source) {
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  if (Counted(source)) Release("s" + std::string(source), now);
  const auto it = entries_.find(AccountKey(tenant, username));
  if (it == entries_.end()) return;
  // The account's count starts again; attempts still in flight stay reserved.
  it->second.failures = 0;
  it->second.blocked_until = 0;
  if (it->second.pending > 0) --it->second.pending;
}

void SignInThrottle::Abandoned(std::string_view tenant, std::string_view username,
                               std::string_view source) {
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  Release(AccountKey(tenant, username), now);
  if (Counted(source)) Release("s" + std::string(source), now);
}

}  // namespace daulat::identity
