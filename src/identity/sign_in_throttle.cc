#include "identity/sign_in_throttle.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cmath>

namespace daulat::identity {
namespace {

// Length-prefixed, so no tenant, name or address can collide with another.
std::string Field(std::string_view text) {
  return std::to_string(text.size()) + ":" + std::string(text);
}

}  // namespace

LocalSignInThrottle::LocalSignInThrottle(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

std::string SignInThrottle::CountedAddress(std::string_view source) {
  if (source.empty()) return {};
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(std::string(source), ec);
  if (ec) return std::string(source);
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    ip = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  // A proxy on this host (or an unknown peer) stands for many people: locking
  // it would lock everyone out. Their accounts are still throttled.
  if (ip.is_loopback() || ip.is_unspecified()) return {};
  if (ip.is_v4()) return ip.to_string();
  auto bytes = ip.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::string SignInThrottle::CountedNetwork(std::string_view source) {
  const std::string address = CountedAddress(source);
  if (address.size() < 4 || address.compare(address.size() - 3, 3, "/64") != 0) return {};
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address_v6(address.substr(0, address.size() - 3), ec);
  if (ec) return {};
  auto bytes = ip.to_bytes();
  std::fill(bytes.begin() + 6, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/48";
}

std::vector<SignInThrottle::Counter> SignInThrottle::CountersFor(const Options& options,
                                                                 std::string_view tenant,
                                                                 std::string_view username,
                                                                 std::string_view source) {
  const std::string account = Field(tenant) + Field(username);
  std::vector<Counter> counters{{"a" + account, &options.account, "account", Scope::kAccount}};
  const std::string address = CountedAddress(source);
  if (!address.empty()) {
    counters.push_back({"p" + account + Field(address), &options.account_from_address,
                        "account from this address", Scope::kAccountFromAddress});
    counters.push_back({"s" + Field(address), &options.address, "address", Scope::kAddress});
    if (const std::string network = CountedNetwork(source); !network.empty())
      counters.push_back({"n" + Field(network), &options.network, "network", Scope::kNetwork});
  }
  return counters;
}

int64_t SignInThrottle::ForgetAfterSeconds(const Options& o) {
  return std::max({o.account.lock_for_seconds, o.account_from_address.lock_for_seconds,
                   o.address.lock_for_seconds, o.network.lock_for_seconds,
                   o.account.max_delay_seconds, o.account_from_address.max_delay_seconds,
                   o.address.max_delay_seconds, o.network.max_delay_seconds});
}

Status SignInThrottle::Waiting(int64_t seconds) {
  return ResourceExhausted(
      "too many failed sign-ins for this account or from this address; retry after " +
      std::to_string(seconds) + " s");
}

Status SignInThrottle::Busy() {
  return ResourceExhausted(
      "other sign-ins for this account or from this address are being checked; retry after 1 s");
}

std::string SignInThrottle::LockedNote(const Counter& c, int64_t failures) {
  return std::string(c.what) + " locked for " + std::to_string(c.limits->lock_for_seconds) +
         " s after " + std::to_string(failures) + " failed sign-ins";
}

std::string SignInThrottle::SlowedNote(const Counter& c, int64_t delay) {
  return std::string(c.what) + " slowed: next attempt in " + std::to_string(delay) + " s";
}

LocalSignInThrottle::Entry* LocalSignInThrottle::Find(const std::string& key, double now) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const auto forget = static_cast<double>(ForgetAfterSeconds(options_));
  if (it->second.pending == 0 && now >= it->second.blocked_until &&
      now - it->second.last_seen > forget) {
    by_age_.erase(it->second.age);
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

LocalSignInThrottle::Entry& LocalSignInThrottle::Touch(const std::string& key, double now) {
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

bool LocalSignInThrottle::Known(const std::string& account_from_address, double now) const {
  const auto it = known_.find(account_from_address);
  return it != known_.end() && now - it->second.when <= kRememberedSeconds;
}

void LocalSignInThrottle::Remember(const std::string& account_from_address, double now) {
  if (auto it = known_.find(account_from_address); it != known_.end()) {
    known_by_age_.splice(known_by_age_.end(), known_by_age_, it->second.age);  // youngest again
    it->second.when = now;
    return;
  }
  while (!known_by_age_.empty() &&
         (known_.size() >= options_.max_entries ||
          now - known_[known_by_age_.front()].when > kRememberedSeconds)) {
    known_.erase(known_by_age_.front());
    known_by_age_.pop_front();
  }
  known_by_age_.push_back(account_from_address);
  known_[account_from_address] = {now, std::prev(known_by_age_.end())};
}

Status LocalSignInThrottle::Check(std::string_view tenant, std::string_view username,
                                  std::string_view source) {
  const double now = clock_.Now();
  const auto counters = CountersFor(options_, tenant, username, source);
  std::lock_guard lock(mu_);
  double until = 0;
  bool busy = false;
  const bool known = counters.size() > 1 && Known(counters[1].key, now);
  for (const Counter& c : counters) {
    if (known && c.scope == Scope::kAccount) continue;  // the owner's usual address
    const Entry* e = Find(c.key, now);
    if (e == nullptr) continue;
    until = std::max(until, e->blocked_until);
    busy = busy || e->pending >= std::max<int64_t>(1, c.limits->free - e->failures);
  }
  if (until > now) return Waiting(static_cast<int64_t>(std::ceil(until - now)));
  if (busy) return Busy();
  for (const Counter& c : counters) ++Touch(c.key, now).pending;
  return Status::Ok();
}

void LocalSignInThrottle::Release(const std::string& key, double now) {
  Entry* e = Find(key, now);
  if (e != nullptr && e->pending > 0) --e->pending;
}

std::string LocalSignInThrottle::Count(const Counter& c, double now) {
  const Limits& limits = *c.limits;
  Entry& e = Touch(c.key, now);
  if (e.pending > 0) --e.pending;
  ++e.failures;
  if (limits.lock_after > 0 && e.failures >= limits.lock_after) {
    e.blocked_until = now + static_cast<double>(limits.lock_for_seconds);
    return LockedNote(c, e.failures);
  }
  if (e.failures > limits.free) {
    const int64_t doubling = std::min<int64_t>(e.failures - limits.free - 1, 30);
    const int64_t delay = std::min<int64_t>(int64_t{1} << doubling, limits.max_delay_seconds);
    e.blocked_until = std::max(e.blocked_until, now + static_cast<double>(delay));
    return SlowedNote(c, delay);
  }
  return {};
}

std::string LocalSignInThrottle::Failed(std::string_view tenant, std::string_view username,
                                        std::string_view source) {
  const double now = clock_.Now();
  const auto counters = CountersFor(options_, tenant, username, source);
  std::lock_guard lock(mu_);
  std::string note;
  for (const Counter& c : counters) {
    const std::string changed = Count(c, now);
    if (!changed.empty()) note += (note.empty() ? "" : "; ") + changed;
  }
  return note;
}

void LocalSignInThrottle::Succeeded(std::string_view tenant, std::string_view username,
                                    std::string_view source) {
  const double now = clock_.Now();
  const auto counters = CountersFor(options_, tenant, username, source);
  std::lock_guard lock(mu_);
  if (counters.size() > 1) Remember(counters[1].key, now);
  for (const Counter& c : counters) {
    if (c.scope == Scope::kAddress || c.scope == Scope::kNetwork) {
      Release(c.key, now);
      continue;
    }
    // The account's counts start again; attempts still in flight stay reserved.
    const auto it = entries_.find(c.key);
    if (it == entries_.end()) continue;
    it->second.failures = 0;
    it->second.blocked_until = 0;
    if (it->second.pending > 0) --it->second.pending;
  }
}

void LocalSignInThrottle::Abandoned(std::string_view tenant, std::string_view username,
                                    std::string_view source) {
  const double now = clock_.Now();
  const auto counters = CountersFor(options_, tenant, username, source);
  std::lock_guard lock(mu_);
  for (const Counter& c : counters) Release(c.key, now);
}

}  // namespace daulat::identity
