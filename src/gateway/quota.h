#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace daulat::gateway {

// A token bucket: holds up to `capacity` tokens, refilled continuously at
// `per_second`. Time is passed in, so tests need no sleeping.
class TokenBucket {
 public:
  TokenBucket(double capacity, double per_second)
      : capacity_(capacity), per_second_(per_second), tokens_(capacity) {}
  // Takes n tokens if available at time `now` (seconds).
  bool TryTake(double n, double now);
  // Seconds until n tokens will be available (0 if they are now).
  double WaitFor(double n, double now);

 private:
  void Refill(double now);
  double capacity_, per_second_, tokens_;
  double last_ = -1;
};

struct QuotaLimits {
  int64_t requests_per_minute = 0;  // 0 = unlimited
  int64_t tokens_per_day = 0;       // prompt + completion tokens per UTC day; 0 = unlimited
};

// Request-rate and daily token quotas per API key and per tenant. Admit runs
// before the engine; Reserve holds a model call's tokens and Settle charges
// what it used. LocalQuotaBook counts in this process; SharedQuotaBook
// (shared_quota_book.h) in Valkey, for every node of a cluster at once.
// Implementations are thread-safe.
class QuotaBook {
 public:
  virtual ~QuotaBook() = default;

  // The limits, read from the store on every request; a change starts the
  // account's request bucket afresh.
  // A key's limits hold for that key in that tenant: a user's sessions are
  // "user:<name>" in every tenant, and never share a count across tenants.
  virtual void SetKeyLimits(const std::string& key_id, const std::string& tenant_id,
                            QuotaLimits limits) = 0;
  virtual void SetTenantLimits(const std::string& tenant_id, QuotaLimits limits) = 0;

  // RESOURCE_EXHAUSTED naming the quota and when to retry (seconds, rounded
  // up) when a key's or tenant's requests per minute or tokens today are used up.
  // The key is checked first: a request its tenant then refuses has still
  // used one of the key's requests for the minute. UNAVAILABLE when the
  // counts cannot be reached and the operator chose to refuse then.
  virtual Status Admit(const std::string& key_id, const std::string& tenant_id) = 0;

  // Reserves today's tokens for one model call before it runs: its prompt
  // and up to `completion` more (-1: as many as the budget allows). Returns
  // the completion tokens granted: `completion` when the key's and tenant's
  // budgets (less what running calls reserved) allow it, else what is left
  // (the call is cut short with finish_reason "length"); -1 when both are
  // unlimited and -1 was asked. Callers ask for what the call can really use
  // (at most the model's room for an answer), since the grant is held until
  // the call ends. RESOURCE_EXHAUSTED, with when to retry (1 s when running
  // calls hold the rest, else the next UTC day), when not even the prompt and
  // one token fit.
  virtual Result<int64_t> Reserve(const std::string& key_id, const std::string& tenant_id,
                                  int64_t prompt, int64_t completion) = 0;
  // Ends a reservation: `reserved` (prompt + granted, as Reserve counted it)
  // is released and `used` tokens charged.
  virtual void Settle(const std::string& key_id, const std::string& tenant_id, int64_t reserved,
                      int64_t used) = 0;
  // Tokens charged today to the tenant, or to one of its keys.
  virtual int64_t TokensToday(const std::string& tenant_id, const std::string& key_id = "") = 0;
};

// The most tokens any one count takes: numbers from outside (a remote
// engine's usage) are clamped to it, so none can overflow or go negative.
inline constexpr int64_t kMostTokens = 1'000'000'000'000;

// The name of the count of a tenant ("tenant:<tenant>"), or of one of its
// keys ("key:<tenant>/<key>"; tenant ids have no '/').
std::string QuotaAccount(const std::string& tenant_id, const std::string& key_id = "");

// The refusals every QuotaBook gives, in the same words.
namespace quota_refusal {
Status TokensSpent(const std::string& who, int64_t tokens_per_day, int64_t retry_seconds);
Status OverRate(const std::string& who, int64_t requests_per_minute, int64_t retry_seconds);
// `held`: running calls hold the rest (retry in 1 s), else it is spent.
Status NoRoom(const std::string& who, int64_t left, int64_t tokens_per_day, bool held,
              int64_t prompt, int64_t retry_seconds);
int64_t SecondsToMidnight(double now);
}  // namespace quota_refusal

// The counts of this process alone: the embedded default, and what a node
// falls back to when the operator chose that over refusing while Valkey is
// unreachable.
class LocalQuotaBook final : public QuotaBook {
 public:
  explicit LocalQuotaBook(const Clock& clock = SystemClock());

  void SetKeyLimits(const std::string& key_id, const std::string& tenant_id,
                    QuotaLimits limits) override;
  void SetTenantLimits(const std::string& tenant_id, QuotaLimits limits) override;
  Status Admit(const std::string& key_id, const std::string& tenant_id) override;
  Result<int64_t> Reserve(const std::string& key_id, const std::string& tenant_id, int64_t prompt,
                          int64_t completion) override;
  void Settle(const std::string& key_id, const std::string& tenant_id, int64_t reserved,
              int64_t used) override;
  int64_t TokensToday(const std::string& tenant_id, const std::string& key_id = "") override;

 private:
  struct Account {
    QuotaLimits limits;
    std::unique_ptr<TokenBucket> requests;
    int64_t day = -1;
    int64_t tokens = 0;
    int64_t reserved = 0;  // held by calls still running (any day)
  };
  void SetLimits(const std::string& account, QuotaLimits limits);
  // Starts a new day's token count when the UTC day changed; returns the day number.
  static int64_t RollDay(Account& a, double now);
  Status AdmitOne(Account& a, const std::string& what, double now);
  void ChargeOne(Account& a, int64_t tokens, double now);
  // Tokens `a` may still reserve today (INT64_MAX when unlimited).
  static int64_t Left(Account& a, double now);

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Account> accounts_;  // GUARDED_BY(mu_); by QuotaAccount
};

}  // namespace daulat::gateway
