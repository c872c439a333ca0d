#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "knowledge/library.h"

namespace daulat::knowledge {

// What a backfill reports as it goes: a tenant's chunks embedded so far of
// those that had no vector from the current model.
struct BackfillProgress {
  std::string tenant_id;
  size_t done = 0;
  size_t total = 0;
  bool finished = false;  // the tenant is done (or failed: `error` says why)
  std::string error;
};

// Embeds, on a thread of its own, every chunk of `tenants` that has no vector
// from the library's current embedding model: documents added before a model
// was installed, or every chunk after the operator changed the model. The
// server starts one so a model change re-embeds by itself; search works
// meanwhile (BM25 finds what has no vector yet). Progress goes to `report`
// (on the backfill's thread) at most once a second per tenant, and at each
// tenant's end. Stop() (or the destructor) ends it between batches; what was
// embedded stays, and the next start goes on from there.
class VectorBackfill {
 public:
  using Report = std::function<void(const BackfillProgress&)>;
  VectorBackfill(Library& library, std::vector<std::string> tenants, Report report);
  ~VectorBackfill();
  VectorBackfill(const VectorBackfill&) = delete;
  VectorBackfill& operator=(const VectorBackfill&) = delete;

  void Stop();
  bool finished() const { return finished_.load(); }

 private:
  void Run(const std::vector<std::string>& tenants);

  Library& library_;
  Report report_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace daulat::knowledge
