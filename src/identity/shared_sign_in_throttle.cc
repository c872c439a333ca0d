#include "identity/shared_sign_in_throttle.h"

#include "common/random_id.h"

namespace daulat::identity {
namespace {

// An attempt let through holds its place this long at most: a node that
// died while checking a password releases it then.
constexpr double kAttemptSeconds = 60;

// A count idle for `keep` seconds by the node's clock is forgotten, as the
// in-memory throttle forgets it (Valkey's own expiry, on its clock, only
// collects what is left behind).
constexpr const char* kForget = R"lua(
local function forget_idle(k, z, now, keep)
  local f = redis.call('HMGET', k, 'l', 'b')
  local last, blocked = tonumber(f[1] or '-1'), tonumber(f[2] or '0')
  if last >= 0 and now - last > keep and now >= blocked and redis.call('ZCARD', z) == 0 then
    redis.call('DEL', k)
  end
end
)lua";

// KEYS: n counts, n attempt sets, the account's remembered addresses. ARGV:
// now, n, the attempt, when it lapses, how long idle counts are kept, the
// account-from-address count ('' when the source is not counted), how long
// a sign-in is remembered, then per count its free failures and whether it
// is the account's. Returns {0}, {1, seconds to wait} or {2} (busy).
constexpr const char* kCheck = R"lua(
local now, n, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[5])
local known = ARGV[6] ~= '' and
  (tonumber(redis.call('ZSCORE', KEYS[2 * n + 1], ARGV[6])) or -1e300) >= now - tonumber(ARGV[7])
local blocked_until, busy = 0, false
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[n + i], '-inf', ARGV[1])
  forget_idle(KEYS[i], KEYS[n + i], now, keep)
  if not (known and ARGV[7 + 2 * i] == '1') then
    local free = tonumber(ARGV[6 + 2 * i])
    local f = redis.call('HMGET', KEYS[i], 'f', 'b')
    local failures, blocked = tonumber(f[1] or '0') or 0, tonumber(f[2] or '0') or 0
    if blocked > blocked_until then blocked_until = blocked end
    if redis.call('ZCARD', KEYS[n + i]) >= math.max(1, free - failures) then busy = true end
  end
end
if blocked_until > now then return {1, math.ceil(blocked_until - now)} end
if busy then return {2} end
for i = 1, n do
  redis.call('ZADD', KEYS[n + i], ARGV[4], ARGV[3])
  redis.call('HSET', KEYS[i], 'l', ARGV[1])
  redis.call('EXPIRE', KEYS[n + i], keep + 120)
  redis.call('EXPIRE', KEYS[i], keep + 120)
end
return {0}
)lua";

// KEYS: n counts, n attempt sets. ARGV: now, n, the attempt, how long idle
// counts are kept, then per count: free failures, longest wait, failures
// that lock (0: never), lock seconds. Returns per count {what changed (0
// nothing, 1 locked, 2 slowed), seconds, failures}.
constexpr const char* kFailed = R"lua(
local now, n, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local out = {}
for i = 1, n do
  local at = 4 + 4 * (i - 1)
  local free, longest = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local lock_after, lock_for = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  if ARGV[3] ~= '' then redis.call('ZREM', KEYS[n + i], ARGV[3]) end
  forget_idle(KEYS[i], KEYS[n + i], now, keep)
  local failures = redis.call('HINCRBY', KEYS[i], 'f', 1)
  local blocked = tonumber(redis.call('HGET', KEYS[i], 'b') or '0')
  local changed, seconds = 0, 0
  if lock_after > 0 and failures >= lock_after then
    blocked, changed, seconds = now + lock_for, 1, lock_for
  elseif failures > free then
    seconds = math.min(2 ^ math.min(failures - free - 1, 30), longest)
    blocked, changed = math.max(blocked, now + seconds), 2
  end
  redis.call('HSET', KEYS[i], 'b', string.format('%.17g', blocked), 'l', ARGV[1])
  redis.call('EXPIRE', KEYS[i], math.max(keep, math.ceil(blocked - now)) + 120)
  out[#out + 1] = changed
  out[#out + 1] = seconds
  out[#out + 1] = failures
end
return out
)lua";

// KEYS: n counts, n attempt sets, the account's remembered addresses. ARGV:
// now, n, the attempt, how long idle counts are kept, how long a sign-in is
// remembered, the account-from-address count to remember ('' for none),
// then per count whether it is cleared (the account's). An account keeps
// its 32 most recent addresses.
constexpr const char* kSucceeded = R"lua(
local n, keep = tonumber(ARGV[2]), tonumber(ARGV[4])
if ARGV[6] ~= '' then
  local k = KEYS[2 * n + 1]
  redis.call('ZADD', k, ARGV[1], ARGV[6])
  redis.call('ZREMRANGEBYRANK', k, 0, -33)
  redis.call('EXPIRE', k, ARGV[5])
end
for i = 1, n do
  if ARGV[3] ~= '' then redis.call('ZREM', KEYS[n + i], ARGV[3]) end
  if ARGV[6 + i] == '1' and redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'f', 0, 'b', 0)
    redis.call('EXPIRE', KEYS[i], keep + 120)
  end
end
return 0
)lua";

const std::string& CheckScript() {
  static const std::string script = std::string(kForget) + kCheck;
  return script;
}
const std::string& FailedScript() {
  static const std::string script = std::string(kForget) + kFailed;
  return script;
}

}  // namespace

SharedSignInThrottle::SharedSignInThrottle(store::Valkey& valkey, const Clock& clock,
                                           Options options, store::ValkeyOutage on_unavailable,
                                           std::string prefix)
    : valkey_(valkey),
      clock_(clock),
      options_(options),
      on_unavailable_(on_unavailable),
      prefix_(std::move(prefix)),
      node_(NewId("n")),
      fallback_(clock, options),
      failures_("counting sign-ins in Valkey at " + valkey.address().Name()) {}

std::vector<std::string> SharedSignInThrottle::KeysFor(const std::vector<Counter>& counters,
                                                       bool known) const {
  std::vector<std::string> keys;
  for (const auto& c : counters) keys.push_back(prefix_ + ":signin:c:" + c.key);
  for (const auto& c : counters) keys.push_back(prefix_ + ":signin:p:" + c.key);
  if (known) keys.push_back(prefix_ + ":signin:k:" + counters[0].key);
  return keys;
}

void SharedSignInThrottle::Report(const Status& failure) {
  std::lock_guard lock(mu_);
  if (failure.ok()) {
    failures_.Succeeded();
  } else {
    failures_.Failed(failure.ToString());
  }
}

std::string SharedSignInThrottle::TakeAttempt(std::string_view tenant, std::string_view username,
                                              std::string_view source) {
  std::lock_guard lock(mu_);
  const auto it =
      attempts_.find(Attempt(std::string(tenant), std::string(username), std::string(source)));
  if (it == attempts_.end()) return "";
  std::string name = std::move(it->second.name);
  attempts_.erase(it);
  return name;
}

void SharedSignInThrottle::KeepAttempt(Attempt key, std::string name) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  // One that nobody decided (its request failed before) has lapsed in Valkey.
  if (attempts_.size() >= 1024) {
    const auto lapsed = now - std::chrono::seconds(static_cast<int64_t>(2 * kAttemptSeconds));
    for (auto it = attempts_.begin(); it != attempts_.end();)
      it = it->second.since < lapsed ? attempts_.erase(it) : std::next(it);
  }
  attempts_.emplace(std::move(key), Pending{std::move(name), now});
}

Status SharedSignInThrottle::Check(std::string_view tenant, std::string_view username,
                                   std::string_view source) {
  const double now = clock_.Now();
  const auto counters = CountersFor(options_, tenant, username, source);
  std::string attempt;
  {
    std::lock_guard lock(mu_);
    attempt = node_ + "." + std::to_string(++next_attempt_);
  }
  std::vector<std::string> args = {store::ValkeySeconds(now),
                                   std::to_string(counters.size()),
                                   attempt,
                                   store::ValkeySeconds(now + kAttemptSeconds),
                                   std::to_string(ForgetAfterSeconds(options_)),
                                   counters.size() > 1 ? counters[1].key : "",
                                   std::to_string(static_cast<int64_t>(kRememberedSeconds))};
  for (const auto& c : counters) {
    args.push_back(std::to_string(c.limits->free));
    args.emplace_back(c.scope == Scope::kAccount ? "1" : "0");
  }
  auto r = valkey_.Eval(CheckScript(), KeysFor(counters, true), args);
  Attempt key{std::string(tenant), std::string(username), std::string(source)};
  if (Status shaped = store::ExpectIntegers(r, 1, "a sign-in script"); !shaped.ok()) {
    Report(shaped);  // the details go to the log; the caller learns nothing of Valkey
    if (on_unavailable_ == store::ValkeyOutage::kRefuse)
      return Unavailable("sign-ins cannot be checked now; try again shortly");
    Status st = fallback_.Check(tenant, username, source);
    if (st.ok()) KeepAttempt(std::move(key), "-");
    return st;
  }
  Report(Status::Ok());
  switch (r->Integer(0)) {
    case 0: KeepAttempt(std::move(key), attempt); return Status::Ok();
    case 1: return Waiting(r->Integer(1));
    default: return Busy();
  }
}

std::string SharedSignInThrottle::Failed(std::string_view tenant, std::string_view username,
                                         std::string_view source) {
  const std::string attempt = TakeAttempt(tenant, username, source);
  if (attempt == "-") return fallback_.Failed(tenant, username, source);
  const auto counters = CountersFor(options_, tenant, username, source);
  std::vector<std::string> args = {store::ValkeySeconds(clock_.Now()),
                                   std::to_string(counters.size()), attempt,
                                   std::to_string(ForgetAfterSeconds(options_))};
  for (const auto& c : counters) {
    for (const int64_t v : {c.limits->free, c.limits->max_delay_seconds, c.limits->lock_after,
                            c.limits->lock_for_seconds})
      args.push_back(std::to_string(v));
  }
  auto r = valkey_.Eval(FailedScript(), KeysFor(counters, false), args);
  const Status shaped = store::ExpectIntegers(r, 3 * counters.size(), "a sign-in script");
  Report(shaped);
  if (!shaped.ok()) {
    // Counted on the node rather than not at all.
    return fallback_.Failed(tenant, username, source);
  }
  std::string note;
  for (size_t i = 0; i < counters.size(); ++i) {
    const int64_t changed = r->Integer(3 * i);
    std::string what;
    if (changed == 1) what = LockedNote(counters[i], r->Integer(3 * i + 2));
    if (changed == 2) what = SlowedNote(counters[i], r->Integer(3 * i + 1));
    if (!what.empty()) note += (note.empty() ? "" : "; ") + what;
  }
  return note;
}

void SharedSignInThrottle::Succeeded(std::string_view tenant, std::string_view username,
                                     std::string_view source) {
  const std::string attempt = TakeAttempt(tenant, username, source);
  if (attempt == "-") {
    fallback_.Succeeded(tenant, username, source);
    return;
  }
  const auto counters = CountersFor(options_, tenant, username, source);
  std::vector<std::string> args = {store::ValkeySeconds(clock_.Now()),
                                   std::to_string(counters.size()),
                                   attempt,
                                   std::to_string(ForgetAfterSeconds(options_)),
                                   std::to_string(static_cast<int64_t>(kRememberedSeconds)),
                                   counters.size() > 1 ? counters[1].key : ""};
  for (const auto& c : counters) {
    const bool cleared = c.scope == Scope::kAccount || c.scope == Scope::kAccountFromAddress;
    args.emplace_back(cleared ? "1" : "0");
  }
  Report(valkey_.Eval(kSucceeded, KeysFor(counters, true), args).status());
}

void SharedSignInThrottle::Abandoned(std::string_view tenant, std::string_view username,
                                     std::string_view source) {
  const std::string attempt = TakeAttempt(tenant, username, source);
  if (attempt == "-") {
    fallback_.Abandoned(tenant, username, source);
    return;
  }
  if (attempt.empty()) return;
  const auto counters = CountersFor(options_, tenant, username, source);
  std::vector<std::string> keys = KeysFor(counters, false);
  for (size_t i = counters.size(); i < keys.size(); ++i)
    Report(valkey_.Command({"ZREM", keys[i], attempt}).status());
}

}  // namespace daulat::identity
