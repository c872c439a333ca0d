#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "common/log.h"
#include "gateway/quota.h"
#include "store/valkey.h"

namespace daulat::gateway {

using QuotaOutage = store::ValkeyOutage;

struct SharedQuotaOptions {
  std::string prefix = "daulat";  // of every Valkey key this book writes
  QuotaOutage on_unavailable = QuotaOutage::kRefuse;
  // A reservation is released by the call that made it; one whose node died
  // first lapses after this long, so a dead node holds no budget for ever.
  int64_t lease_seconds = 900;
};

// Quotas counted in Valkey (or Redis), so that every node of a cluster sees
// the same counts: each check is one Lua script that reads and changes the
// key's and the tenant's counts atomically, so N nodes together admit what
// one node would (docs/scale.md). Time comes from the node's clock (nodes
// keep NTP time); the day is the UTC day. Per account Valkey holds one hash
// (request bucket, day, tokens charged, tokens reserved) and the set of
// running reservations with when each lapses; idle accounts expire after
// two days.
class SharedQuotaBook final : public QuotaBook {
 public:
  SharedQuotaBook(store::Valkey& valkey, const Clock& clock = SystemClock(),
                  SharedQuotaOptions options = {});

  void SetKeyLimits(const std::string& key_id, const std::string& tenant_id,
                    QuotaLimits limits) override;
  void SetTenantLimits(const std::string& tenant_id, QuotaLimits limits) override;
  Status Admit(const std::string& key_id, const std::string& tenant_id) override;
  Result<int64_t> Reserve(const std::string& key_id, const std::string& tenant_id, int64_t prompt,
                          int64_t completion) override;
  void Settle(const std::string& key_id, const std::string& tenant_id, int64_t reserved,
              int64_t used) override;
  int64_t TokensToday(const std::string& tenant_id, const std::string& key_id = "") override;

  // Settlements Valkey could not take yet, kept to be sent again.
  size_t unsettled() const;

 private:
  struct Lease {
    std::string member;  // "" when the fallback holds it
    std::chrono::steady_clock::time_point made;
  };
  struct Unsettled {
    std::string key_id, tenant_id, member;
    int64_t used = 0;
  };
  QuotaLimits LimitsOf(const std::string& account);
  // The Valkey keys of an account's counts ("h") and its running
  // reservations ("z"), for the key and then the tenant.
  std::vector<std::string> KeysOf(const std::string& key_id, const std::string& tenant_id,
                                  bool with_reservations) const;
  // The refusal or the fallback when Valkey failed; `fell_back` says which.
  Status Unreachable(const Status& why, bool& fell_back);
  void Reached();
  Status SendSettle(const Unsettled& s);
  // Leases older than any reservation lives have lapsed in Valkey already.
  void ForgetLapsedLeasesLocked();

  store::Valkey& valkey_;
  const Clock& clock_;
  SharedQuotaOptions options_;
  std::string node_;  // names this process's reservations
  LocalQuotaBook fallback_;
  mutable std::mutex mu_;
  std::map<std::string, QuotaLimits> limits_;  // GUARDED_BY(mu_); by QuotaAccount
  // Running reservations of this process by (key, tenant, tokens held):
  // Settle names the amount, and any reservation of that amount is the one.
  std::multimap<std::tuple<std::string, std::string, int64_t>, Lease> leases_;  // GUARDED_BY(mu_)
  std::vector<Unsettled> unsettled_;                                            // GUARDED_BY(mu_)
  int64_t next_lease_ = 0;                                                      // GUARDED_BY(mu_)
  RepeatedFailure failures_;                                                    // GUARDED_BY(mu_)
};

}  // namespace daulat::gateway
