#pragma once

#include <memory>
#include <optional>
#include <thread>

#include "cli/global_options.h"
#include "cli/serve_config.h"
#include "common/status.h"
#include "gateway/quota.h"
#include "identity/sign_in_throttle.h"
#include "store/blob_store.h"
#include "store/data_folder_lock.h"
#include "store/database.h"
#include "store/valkey.h"

// What a server holds as one node among others on the same data: the locks
// that say which servers run, and the chores of a node on a shared database.
namespace daulat::cli {

// Held by a server for its life: on SQLite the data folder's first-server
// lock when it is free; on a shared database the lock every server on
// every node shares, which this one also held alone at its start if no
// other server held it.
struct ServerLock {
  std::optional<store::DataFolderLock> folder;
  std::unique_ptr<store::SessionLock> cluster;
};

// Whether this is the only server on the data (on any node, when shared).
Result<bool> TakeServerLock(const GlobalOptions& global, store::Database& db, ServerLock& held);

// A node's chores on a shared database, every 10 s until stopped: the
// cluster locks live on connections of their own, and one lost with its
// server (a restart, a failover) is taken again, so that repairs on other
// nodes keep seeing this server. Every 5 minutes the originals of
// documents erased or replaced through other nodes leave this node's blob
// store (an hour after they were written, past any upload in progress).
std::jthread StartClusterUpkeep(store::Database& db, std::unique_ptr<store::SessionLock>& writers,
                                std::unique_ptr<store::SessionLock>& serve,
                                store::BlobStore& blobs);

// The quotas and the sign-in throttle the configuration asks for: in this
// process, or in Valkey for every node, with the client they share.
struct RateLimits {
  std::unique_ptr<store::Valkey> valkey;
  std::unique_ptr<gateway::QuotaBook> quotas;
  std::unique_ptr<identity::SignInThrottle> sign_in;
};
Result<RateLimits> OpenRateLimits(const ServeConfig& config);

}  // namespace daulat::cli
