#include "gateway/shared_quota_book.h"

#include <algorithm>
#include <cmath>

#include "common/random_id.h"

namespace daulat::gateway {
namespace {

constexpr int64_t kAccountTtlSeconds = int64_t{2} * 86400;
constexpr size_t kMostUnsettled = 10000;

// Shared by the scripts: a new UTC day's token count starts at 0 (only
// forward: a node whose clock lags does not take the day back), and
// reservations whose node never settled them lapse.
constexpr const char* kCommon = R"lua(
local now = tonumber(ARGV[1])
local day = math.floor(now / 86400)
local function roll(k)
  if (tonumber(redis.call('HGET', k, 'd') or '-1') or -1) < day then
    redis.call('HSET', k, 'd', day, 't', 0)
  end
end
local function purge(k, z)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[1])
  if #gone == 0 then return end
  local sum = 0
  for _, m in ipairs(gone) do sum = sum + (tonumber(string.match(m, ':(%d+)$')) or 0) end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', ARGV[1])
  redis.call('HINCRBY', k, 'r', -sum)
end
)lua";

// KEYS: key account, tenant account. ARGV: now, then per account its
// requests per minute and tokens per day, then the TTL. Returns {0}, or
// {account (1 key, 2 tenant), 1 tokens spent | 2 over the rate, retry s}.
// The key's request is taken before the tenant is checked, as on one node.
constexpr const char* kAdmit = R"lua(
local ttl = tonumber(ARGV[6])
local function admit(k, rpm, tpd)
  if rpm <= 0 and tpd <= 0 then return nil end
  roll(k)
  if tpd > 0 and (tonumber(redis.call('HGET', k, 't')) or 0) >= tpd then
    return {1, math.ceil((day + 1) * 86400 - now)}
  end
  if rpm > 0 then
    local f = redis.call('HMGET', k, 'c', 'p', 'b', 'l')
    local cap, per_day, b, l = tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4])
    -- New or changed limits: a full bucket, as on one node.
    if cap ~= rpm or per_day ~= tpd or b == nil or l == nil then b = rpm; l = now end
    if now > l then b = math.min(rpm, b + (now - l) * rpm / 60); l = now end
    if b + 1e-9 < 1 then
      redis.call('HSET', k, 'c', rpm, 'p', tpd, 'b', string.format('%.17g', b), 'l', string.format('%.17g', l))
      redis.call('EXPIRE', k, ttl)
      return {2, math.max(1, math.ceil((1 - b) / (rpm / 60)))}
    end
    redis.call('HSET', k, 'c', rpm, 'p', tpd, 'b', string.format('%.17g', b - 1), 'l', string.format('%.17g', l))
  end
  redis.call('EXPIRE', k, ttl)
  return nil
end
local r = admit(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
if r then return {1, r[1], r[2]} end
r = admit(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))
if r then return {2, r[1], r[2]} end
return {0}
)lua";

// KEYS: key account, tenant account, their reservation sets. ARGV: now,
// tokens per day of each (0: unlimited), prompt, completion (-1: all
// there is), the reservation's name, when it lapses, the TTL. Returns
// {0, granted, member} or {1, account, left, tokens per day, held}.
constexpr const char* kReserve = R"lua(
local ttl = tonumber(ARGV[8])
local function left(k, tpd)
  if tpd <= 0 then return -1, 0 end
  local f = redis.call('HMGET', k, 't', 'r')
  local t, r = tonumber(f[1] or '0') or 0, tonumber(f[2] or '0') or 0
  return math.max(0, tpd - t - r), t
end
roll(KEYS[1]); roll(KEYS[2])
purge(KEYS[1], KEYS[3]); purge(KEYS[2], KEYS[4])
local tpd1, tpd2 = tonumber(ARGV[2]), tonumber(ARGV[3])
local prompt, completion = tonumber(ARGV[4]), tonumber(ARGV[5])
local l1, t1 = left(KEYS[1], tpd1)
local l2, t2 = left(KEYS[2], tpd2)
local l = l2
if l2 < 0 or (l1 >= 0 and l1 < l2) then l = l1 end
if l >= 0 and l < prompt + 1 then
  local which, tpd, t = 2, tpd2, t2
  if l1 >= 0 and (l2 < 0 or l1 <= l2) then which, tpd, t = 1, tpd1, t1 end
  local held = 0
  if tpd - t >= prompt + 1 then held = 1 end
  return {1, which, l, tpd, held}
end
local granted = completion
if l >= 0 then
  if completion < 0 then granted = l - prompt else granted = math.min(completion, l - prompt) end
end
local hold = prompt + math.max(granted, 0)
local member = ARGV[6] .. ':' .. string.format('%d', hold)
for i = 1, 2 do
  redis.call('ZADD', KEYS[i + 2], ARGV[7], member)
  redis.call('HINCRBY', KEYS[i], 'r', hold)
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
return {0, granted, member}
)lua";

// KEYS as for kReserve. ARGV: now, the reservation ('' for none), tokens
// used, the TTL.
constexpr const char* kSettle = R"lua(
local ttl = tonumber(ARGV[4])
local used = tonumber(ARGV[3])
for i = 1, 2 do
  local k, z = KEYS[i], KEYS[i + 2]
  roll(k)
  purge(k, z)
  if ARGV[2] ~= '' and redis.call('ZREM', z, ARGV[2]) == 1 then
    redis.call('HINCRBY', k, 'r', -(tonumber(string.match(ARGV[2], ':(%d+)$')) or 0))
  end
  redis.call('HINCRBY', k, 't', used)
  redis.call('EXPIRE', k, ttl)
  redis.call('EXPIRE', z, ttl)
end
return {0}
)lua";

// Each script with the part they share in front.
const std::string& AdmitScript() {
  static const std::string script = std::string(kCommon) + kAdmit;
  return script;
}
const std::string& ReserveScript() {
  static const std::string script = std::string(kCommon) + kReserve;
  return script;
}
const std::string& SettleScript() {
  static const std::string script = std::string(kCommon) + kSettle;
  return script;
}

int64_t Bounded(int64_t tokens) {
  return std::clamp<int64_t>(tokens, 0, kMostTokens);
}

}  // namespace

SharedQuotaBook::SharedQuotaBook(store::Valkey& valkey, const Clock& clock,
                                 SharedQuotaOptions options)
    : valkey_(valkey),
      clock_(clock),
      options_(std::move(options)),
      node_(NewId("n")),
      fallback_(clock),
      failures_("counting quotas in Valkey at " + valkey.address().Name()) {}

std::vector<std::string> SharedQuotaBook::KeysOf(const std::string& key_id,
                                                 const std::string& tenant_id,
                                                 bool with_reservations) const {
  const std::string key = QuotaAccount(tenant_id, key_id);
  const std::string tenant = QuotaAccount(tenant_id);
  const std::string at = options_.prefix + ":quota:";
  std::vector<std::string> keys = {at + "h:" + key, at + "h:" + tenant};
  if (with_reservations) {
    keys.push_back(at + "z:" + key);
    keys.push_back(at + "z:" + tenant);
  }
  return keys;
}

QuotaLimits SharedQuotaBook::LimitsOf(const std::string& account) {
  std::lock_guard lock(mu_);
  auto it = limits_.find(account);
  return it == limits_.end() ? QuotaLimits{} : it->second;
}

void SharedQuotaBook::SetKeyLimits(const std::string& key_id, const std::string& tenant_id,
                                   QuotaLimits limits) {
  fallback_.SetKeyLimits(key_id, tenant_id, limits);
  std::lock_guard lock(mu_);
  limits_[QuotaAccount(tenant_id, key_id)] = limits;
}

void SharedQuotaBook::SetTenantLimits(const std::string& tenant_id, QuotaLimits limits) {
  fallback_.SetTenantLimits(tenant_id, limits);
  std::lock_guard lock(mu_);
  limits_[QuotaAccount(tenant_id)] = limits;
}

size_t SharedQuotaBook::unsettled() const {
  std::lock_guard lock(mu_);
  return unsettled_.size();
}

Status SharedQuotaBook::Unreachable(const Status& why, bool& fell_back) {
  {
    std::lock_guard lock(mu_);
    failures_.Failed(why.ToString());  // the details go to the log, not to callers
  }
  fell_back = options_.on_unavailable == QuotaOutage::kLocal;
  if (fell_back) return Status::Ok();
  return Unavailable(
      "quotas cannot be checked now; requests with limits are refused until they can be "
      "([quotas] on_unavailable)");
}

void SharedQuotaBook::Reached() {
  std::vector<Unsettled> replay;
  {
    std::lock_guard lock(mu_);
    failures_.Succeeded();
    replay.swap(unsettled_);
  }
  // What could not be charged while Valkey was away is charged now.
  for (size_t i = 0; i < replay.size(); ++i) {
    if (!SendSettle(replay[i]).ok()) {
      std::lock_guard lock(mu_);
      unsettled_.insert(unsettled_.end(), replay.begin() + static_cast<std::ptrdiff_t>(i),
                        replay.end());
      return;
    }
  }
}

Status SharedQuotaBook::Admit(const std::string& key_id, const std::string& tenant_id) {
  const QuotaLimits key = LimitsOf(QuotaAccount(tenant_id, key_id));
  const QuotaLimits tenant = LimitsOf(QuotaAccount(tenant_id));
  if (key.requests_per_minute <= 0 && key.tokens_per_day <= 0 && tenant.requests_per_minute <= 0 &&
      tenant.tokens_per_day <= 0)
    return Status::Ok();  // nothing to count against
  auto r =
      valkey_.Eval(AdmitScript(), KeysOf(key_id, tenant_id, false),
                   {store::ValkeySeconds(clock_.Now()), std::to_string(key.requests_per_minute),
                    std::to_string(key.tokens_per_day), std::to_string(tenant.requests_per_minute),
                    std::to_string(tenant.tokens_per_day), std::to_string(kAccountTtlSeconds)});
  if (Status shaped = store::ExpectIntegers(r, 1, "a quota script"); !shaped.ok()) {
    bool fell_back = false;
    Status st = Unreachable(shaped, fell_back);
    return fell_back ? fallback_.Admit(key_id, tenant_id) : st;
  }
  Reached();
  const int64_t account = r->Integer(0);
  if (account == 0) return Status::Ok();
  const bool is_key = account == 1;
  const std::string who = is_key ? "API key " + key_id : "tenant " + tenant_id;
  const QuotaLimits& limits = is_key ? key : tenant;
  if (r->Integer(1) == 1)
    return quota_refusal::TokensSpent(who, limits.tokens_per_day, r->Integer(2));
  return quota_refusal::OverRate(who, limits.requests_per_minute, r->Integer(2));
}

void SharedQuotaBook::ForgetLapsedLeasesLocked() {
  if (leases_.size() < 1024) return;
  const auto lapsed =
      std::chrono::steady_clock::now() - std::chrono::seconds(options_.lease_seconds + 60);
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->second.made < lapsed ? leases_.erase(it) : std::next(it);
  }
}

Result<int64_t> SharedQuotaBook::Reserve(const std::string& key_id, const std::string& tenant_id,
                                         int64_t prompt, int64_t completion) {
  prompt = Bounded(prompt);
  completion = completion < 0 ? -1 : Bounded(completion);
  const QuotaLimits key = LimitsOf(QuotaAccount(tenant_id, key_id));
  const QuotaLimits tenant = LimitsOf(QuotaAccount(tenant_id));
  // Unlimited both ways: nothing to hold (what it uses is still charged).
  if (key.tokens_per_day <= 0 && tenant.tokens_per_day <= 0) return completion;
  const double now = clock_.Now();
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = node_ + "." + std::to_string(++next_lease_);
  }
  auto r = valkey_.Eval(
      ReserveScript(), KeysOf(key_id, tenant_id, true),
      {store::ValkeySeconds(now), std::to_string(key.tokens_per_day),
       std::to_string(tenant.tokens_per_day), std::to_string(prompt), std::to_string(completion),
       name, store::ValkeySeconds(now + static_cast<double>(options_.lease_seconds)),
       std::to_string(kAccountTtlSeconds)});
  Status shaped = store::ExpectIntegers(r, 2, "a quota script");
  if (shaped.ok() && r->Integer(0) == 0 &&
      (r->items.size() < 3 || r->items[2].type != store::ValkeyReply::Type::kText))
    shaped = Internal("Valkey answered a reservation without its name");
  if (!shaped.ok()) {
    bool fell_back = false;
    Status st = Unreachable(shaped, fell_back);
    if (!fell_back) return st;
    auto granted = fallback_.Reserve(key_id, tenant_id, prompt, completion);
    if (granted.ok()) {
      std::lock_guard lock(mu_);
      leases_.emplace(std::make_tuple(key_id, tenant_id, prompt + std::max<int64_t>(*granted, 0)),
                      Lease{"", std::chrono::steady_clock::now()});
    }
    return granted;
  }
  Reached();
  if (r->Integer(0) != 0) {
    const bool is_key = r->Integer(1) == 1;
    return quota_refusal::NoRoom(is_key ? "API key " + key_id : "tenant " + tenant_id,
                                 r->Integer(2), r->Integer(3), r->Integer(4) == 1, prompt,
                                 quota_refusal::SecondsToMidnight(now));
  }
  const int64_t granted = r->Integer(1);
  std::lock_guard lock(mu_);
  ForgetLapsedLeasesLocked();
  leases_.emplace(std::make_tuple(key_id, tenant_id, prompt + std::max<int64_t>(granted, 0)),
                  Lease{r->items[2].text, std::chrono::steady_clock::now()});
  return granted;
}

Status SharedQuotaBook::SendSettle(const Unsettled& s) {
  return store::ExpectIntegers(
      valkey_.Eval(SettleScript(), KeysOf(s.key_id, s.tenant_id, true),
                   {store::ValkeySeconds(clock_.Now()), s.member, std::to_string(s.used),
                    std::to_string(kAccountTtlSeconds)}),
      1, "a quota script");
}

void SharedQuotaBook::Settle(const std::string& key_id, const std::string& tenant_id,
                             int64_t reserved, int64_t used) {
  reserved = Bounded(reserved);
  Unsettled s{key_id, tenant_id, "", Bounded(used)};
  bool on_fallback = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = leases_.find(std::make_tuple(key_id, tenant_id, reserved)); it != leases_.end()) {
      s.member = it->second.member;
      on_fallback = s.member.empty();
      leases_.erase(it);
    }
  }
  if (on_fallback) {
    fallback_.Settle(key_id, tenant_id, reserved, s.used);
    return;
  }
  if (Status st = SendSettle(s); !st.ok()) {
    // Kept and sent again once Valkey answers: what was used is charged
    // late rather than never (the reservation itself lapses on its own).
    std::lock_guard lock(mu_);
    failures_.Failed(st.ToString());
    if (unsettled_.size() < kMostUnsettled) unsettled_.push_back(std::move(s));
    return;
  }
  Reached();
}

int64_t SharedQuotaBook::TokensToday(const std::string& tenant_id, const std::string& key_id) {
  auto r = valkey_.Command(
      {"HMGET", KeysOf(key_id, tenant_id, false)[key_id.empty() ? 1 : 0], "d", "t"});
  if (!r.ok() || r->items.size() != 2) return fallback_.TokensToday(tenant_id, key_id);
  const auto day = static_cast<int64_t>(std::floor(clock_.Now() / 86400.0));
  if (r->items[0].text != std::to_string(day)) return 0;
  return std::strtoll(r->items[1].text.c_str(), nullptr, 10);
}

}  // namespace daulat::gateway
