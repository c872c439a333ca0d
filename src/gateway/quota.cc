#include "gateway/quota.h"

#include <algorithm>
#include <cmath>

namespace daulat::gateway {

void TokenBucket::Refill(double now) {
  if (last_ >= 0 && now > last_)
    tokens_ = std::min(capacity_, tokens_ + (now - last_) * per_second_);
  if (last_ < 0 || now > last_) last_ = now;
}

bool TokenBucket::TryTake(double n, double now) {
  Refill(now);
  if (tokens_ + 1e-9 < n) return false;
  tokens_ -= n;
  return true;
}

double TokenBucket::WaitFor(double n, double now) {
  Refill(now);
  if (tokens_ >= n) return 0;
  return per_second_ > 0 ? (n - tokens_) / per_second_ : INFINITY;
}

std::string QuotaAccount(const std::string& tenant_id, const std::string& key_id) {
  return key_id.empty() ? "tenant:" + tenant_id : "key:" + tenant_id + "/" + key_id;
}

namespace quota_refusal {

Status TokensSpent(const std::string& who, int64_t tokens_per_day, int64_t retry_seconds) {
  return ResourceExhausted(who + " has used its " + std::to_string(tokens_per_day) +
                           " tokens for today; retry after " + std::to_string(retry_seconds) +
                           " s");
}

Status OverRate(const std::string& who, int64_t requests_per_minute, int64_t retry_seconds) {
  return ResourceExhausted(who + " is over " + std::to_string(requests_per_minute) +
                           " requests per minute; retry after " +
                           std::to_string(std::max<int64_t>(1, retry_seconds)) + " s");
}

Status NoRoom(const std::string& who, int64_t left, int64_t tokens_per_day, bool held,
              int64_t prompt, int64_t retry_seconds) {
  return ResourceExhausted(who + " has " + std::to_string(left) + " of its " +
                           std::to_string(tokens_per_day) + " tokens for today " +
                           (held ? "free while other calls run" : "left") +
                           ", and this call needs " + std::to_string(prompt) +
                           " for its prompt and one to answer; retry after " +
                           std::to_string(held ? 1 : retry_seconds) + " s");
}

int64_t SecondsToMidnight(double now) {
  const double tomorrow = (std::floor(now / 86400.0) + 1) * 86400.0;
  return static_cast<int64_t>(std::ceil(tomorrow - now));
}

}  // namespace quota_refusal

LocalQuotaBook::LocalQuotaBook(const Clock& clock) : clock_(clock) {}

void LocalQuotaBook::SetLimits(const std::string& account, QuotaLimits limits) {
  std::lock_guard lock(mu_);
  auto& a = accounts_[account];
  // Called on every request with the limits read from the store: keep the
  // bucket (and its history) unless the limits changed.
  if (a.day != -1 && a.limits.requests_per_minute == limits.requests_per_minute &&
      a.limits.tokens_per_day == limits.tokens_per_day)
    return;
  a.limits = limits;
  const auto rpm = static_cast<double>(limits.requests_per_minute);
  a.requests = rpm > 0 ? std::make_unique<TokenBucket>(rpm, rpm / 60.0) : nullptr;
}

void LocalQuotaBook::SetKeyLimits(const std::string& key_id, const std::string& tenant_id,
                                  QuotaLimits limits) {
  SetLimits(QuotaAccount(tenant_id, key_id), limits);
}

void LocalQuotaBook::SetTenantLimits(const std::string& tenant_id, QuotaLimits limits) {
  SetLimits(QuotaAccount(tenant_id), limits);
}

int64_t LocalQuotaBook::RollDay(Account& a, double now) {
  const auto day = static_cast<int64_t>(std::floor(now / 86400.0));
  if (a.day != day) {
    a.day = day;
    a.tokens = 0;
  }
  return day;
}

Status LocalQuotaBook::AdmitOne(Account& a, const std::string& what, double now) {
  RollDay(a, now);
  if (a.limits.tokens_per_day > 0 && a.tokens >= a.limits.tokens_per_day)
    return quota_refusal::TokensSpent(what, a.limits.tokens_per_day,
                                      quota_refusal::SecondsToMidnight(now));
  if (a.requests && !a.requests->TryTake(1, now)) {
    const auto retry = static_cast<int64_t>(std::ceil(a.requests->WaitFor(1, now)));
    return quota_refusal::OverRate(what, a.limits.requests_per_minute, retry);
  }
  return Status::Ok();
}

Status LocalQuotaBook::Admit(const std::string& key_id, const std::string& tenant_id) {
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  if (auto it = accounts_.find(QuotaAccount(tenant_id, key_id)); it != accounts_.end()) {
    DAULAT_RETURN_IF_ERROR(AdmitOne(it->second, "API key " + key_id, now));
  }
  if (auto it = accounts_.find(QuotaAccount(tenant_id)); it != accounts_.end()) {
    DAULAT_RETURN_IF_ERROR(AdmitOne(it->second, "tenant " + tenant_id, now));
  }
  return Status::Ok();
}

void LocalQuotaBook::ChargeOne(Account& a, int64_t tokens, double now) {
  RollDay(a, now);
  a.tokens += tokens;
}

int64_t LocalQuotaBook::Left(Account& a, double now) {
  RollDay(a, now);
  if (a.limits.tokens_per_day <= 0) return INT64_MAX;
  return std::max<int64_t>(0, a.limits.tokens_per_day - a.tokens - a.reserved);
}

Result<int64_t> LocalQuotaBook::Reserve(const std::string& key_id, const std::string& tenant_id,
                                        int64_t prompt, int64_t completion) {
  prompt = std::clamp<int64_t>(prompt, 0, kMostTokens);
  completion = completion < 0 ? -1 : std::min(completion, kMostTokens);
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  Account& key = accounts_[QuotaAccount(tenant_id, key_id)];
  Account& tenant = accounts_[QuotaAccount(tenant_id)];
  const int64_t left = std::min(Left(key, now), Left(tenant, now));
  if (left != INT64_MAX && left < prompt + 1) {
    const bool key_short = Left(key, now) <= Left(tenant, now);
    Account& a = key_short ? key : tenant;
    const std::string who = key_short ? "API key " + key_id : "tenant " + tenant_id;
    // Held by calls still running: back within seconds; spent: tomorrow.
    const bool held = a.limits.tokens_per_day - a.tokens >= prompt + 1;
    return quota_refusal::NoRoom(who, left, a.limits.tokens_per_day, held, prompt,
                                 quota_refusal::SecondsToMidnight(now));
  }
  int64_t granted = completion;
  if (left != INT64_MAX)
    granted = completion < 0 ? left - prompt : std::min(completion, left - prompt);
  const int64_t hold = prompt + std::max<int64_t>(granted, 0);
  key.reserved += hold;
  tenant.reserved += hold;
  return granted;
}

void LocalQuotaBook::Settle(const std::string& key_id, const std::string& tenant_id,
                            int64_t reserved, int64_t used) {
  reserved = std::clamp<int64_t>(reserved, 0, kMostTokens);
  used = std::clamp<int64_t>(used, 0, kMostTokens);
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  for (Account* a :
       {&accounts_[QuotaAccount(tenant_id, key_id)], &accounts_[QuotaAccount(tenant_id)]}) {
    a->reserved = std::max<int64_t>(0, a->reserved - reserved);
    ChargeOne(*a, used, now);
  }
}

int64_t LocalQuotaBook::TokensToday(const std::string& tenant_id, const std::string& key_id) {
  const std::string scope_id = QuotaAccount(tenant_id, key_id);
  const double now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = accounts_.find(scope_id);
  if (it == accounts_.end() || it->second.day != static_cast<int64_t>(std::floor(now / 86400.0)))
    return 0;
  return it->second.tokens;
}

}  // namespace daulat::gateway
