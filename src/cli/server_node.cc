#include "cli/server_node.h"

#include <condition_variable>
#include <mutex>

#include "cli/admin_stores.h"
#include "common/log.h"
#include "gateway/shared_quota_book.h"
#include "identity/shared_sign_in_throttle.h"
#include "knowledge/library_health.h"

namespace daulat::cli {
namespace {

// Takes a cluster lock again when the connection holding it was lost; the
// loss is reported once, then as a reminder, not on every try.
void KeepLock(store::Database& db, const char* name, std::unique_ptr<store::SessionLock>& lock,
              RepeatedFailure& failures) {
  if (!lock || lock->StillHeld().ok()) return;
  auto again = db.TryLock(name, store::LockMode::kShared);
  if (!again.ok()) {
    failures.Failed(again.status().message());
    return;
  }
  lock = std::move(again).value();
  failures.Succeeded();
  spdlog::warn("the cluster lock '{}' was lost with its connection and is held again", name);
}

}  // namespace

std::jthread StartClusterUpkeep(store::Database& db, std::unique_ptr<store::SessionLock>& writers,
                                std::unique_ptr<store::SessionLock>& serve,
                                store::BlobStore& blobs) {
  return std::jthread([&db, &writers, &serve, &blobs](const std::stop_token& stop) {
    std::mutex mu;
    std::condition_variable_any wake;
    std::unique_lock hold(mu);
    RepeatedFailure writers_lost("taking the cluster lock 'writers' again");
    RepeatedFailure serve_lost("taking the cluster lock 'serve' again");
    RepeatedFailure sweep_failed("discarding the originals other nodes erased");
    for (int round = 1;; ++round) {
      wake.wait_for(hold, stop, std::chrono::seconds(10), [] { return false; });
      if (stop.stop_requested()) return;
      KeepLock(db, kWritersLock, writers, writers_lost);
      KeepLock(db, "serve", serve, serve_lost);
      if (round % 30 != 0) continue;
      auto swept = knowledge::DiscardUnnamedOriginals(db, blobs, 3600);
      if (!swept.ok()) {
        sweep_failed.Failed(swept.status().ToString());
        continue;
      }
      sweep_failed.Succeeded();
      if (*swept > 0)
        spdlog::info("{} original(s) of documents erased or replaced elsewhere discarded", *swept);
    }
  });
}

Result<bool> TakeServerLock(const GlobalOptions& global, store::Database& db, ServerLock& held) {
  if (!global.SharedDatabase()) {
    auto lock = store::DataFolderLock::FirstServer(global.DataDir());
    if (!lock.ok()) return false;
    held.folder.emplace(std::move(lock).value());
    return true;
  }
  auto shared = db.TryLock("serve", store::LockMode::kShared);
  if (!shared.ok()) return shared.status();
  held.cluster = std::move(shared).value();
  return held.cluster->TryAlone();
}

Result<RateLimits> OpenRateLimits(const ServeConfig& config) {
  RateLimits r;
  if (config.valkey_url.empty()) {
    r.quotas = std::make_unique<gateway::LocalQuotaBook>();
    r.sign_in = std::make_unique<identity::LocalSignInThrottle>();
    return r;
  }
  auto valkey = store::Valkey::Create(config.valkey_url);
  if (!valkey.ok()) return valkey.status();
  r.valkey = std::move(valkey).value();
  // A wrong password stops the start; an unreachable Valkey does not (the
  // node starts and [quotas] on_unavailable decides until Valkey answers).
  if (auto ping = r.valkey->Command({"PING"}); !ping.ok()) {
    if (ping.status().code() != StatusCode::kUnavailable) return ping.status();
    spdlog::error("{}", ping.status().message());
  } else if (auto policy = r.valkey->Command({"CONFIG", "GET", "maxmemory-policy"});
             policy.ok() && policy->items.size() == 2 && policy->items[1].text != "noeviction") {
    // Evicting counts under memory pressure would forget locks and spent
    // quotas: the counts must fail (closed) rather than vanish.
    spdlog::warn(
        "Valkey's maxmemory-policy is '{}': under memory pressure it may forget sign-in locks "
        "and spent quotas; set it to noeviction (docs/scale.md)",
        policy->items[1].text);
  }
  gateway::SharedQuotaOptions options;
  options.on_unavailable = config.quota_outage;
  r.quotas = std::make_unique<gateway::SharedQuotaBook>(*r.valkey, SystemClock(), options);
  r.sign_in = std::make_unique<identity::SharedSignInThrottle>(
      *r.valkey, SystemClock(), identity::SignInThrottleOptions{}, config.quota_outage);
  return r;
}

}  // namespace daulat::cli
