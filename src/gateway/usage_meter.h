#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "gateway/pipeline.h"
#include "store/database.h"

namespace daulat::gateway {

// One row of usage: requests and tokens, summed over whatever was not grouped by.
struct UsageRow {
  std::string day, key_id, model;  // empty when not grouped by
  int64_t requests = 0, prompt_tokens = 0, completion_tokens = 0;
};

struct UsageQuery {
  std::string from_day, to_day;  // "YYYY-MM-DD", inclusive; empty = open
  bool by_day = true, by_key = false, by_model = false;
  std::string key_id;  // only this key, if set
};

// Sets the grouping of `q` from "day,key,model" (any of them, comma-separated;
// empty = one total). INVALID_ARGUMENT for anything else.
Status ParseGroupBy(const std::string& text, UsageQuery& q);

// One row as the API and `daulat usage --json` show it: the counts, and the
// day, key and model it is grouped by.
nlohmann::json UsageRowJson(const UsageRow& row, const UsageQuery& q);

// metering: counts requests and tokens per tenant, UTC day, key and model.
// Completed requests are summed in memory and written to the database once a
// second by a background thread (one transaction per flush), so requests
// never wait for a disk write. Stop() (and the destructor) flushes.
// Thread-safe.
class UsageMeter : public Stage {
 public:
  static Result<std::unique_ptr<UsageMeter>> Open(store::Database& db,
                                                  const Clock& clock = SystemClock());
  ~UsageMeter() override;
  std::string_view name() const override { return "metering"; }
  Status OnRequest(RequestContext& /*ctx*/) override { return Status::Ok(); }
  void OnComplete(const RequestContext& ctx) override;

  void Record(const std::string& tenant_id, const std::string& day, const std::string& key_id,
              const std::string& model, int64_t prompt_tokens, int64_t completion_tokens);
  Status Flush();
  void Stop();
  // Requests the tenant made in the last `days` UTC days, today included
  // (flushes first): the readiness assessment's evidence.
  Result<int64_t> RequestsInLastDays(const std::string& tenant_id, int days);
  // Usage of one tenant (flushes first, so the answer includes every finished request).
  // INVALID_ARGUMENT when a day is not YYYY-MM-DD.
  Result<std::vector<UsageRow>> Query(const std::string& tenant_id, const UsageQuery& q);

 private:
  UsageMeter(store::Database& db, const Clock& clock);
  void Run();

  using Key =
      std::tuple<std::string, std::string, std::string, std::string>;  // tenant, day, key, model
  struct Sums {
    int64_t requests = 0, prompt_tokens = 0, completion_tokens = 0;
  };
  store::Database& db_;
  const Clock& clock_;
  std::mutex flush_mu_;  // one flush at a time
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<Key, Sums> pending_;  // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace daulat::gateway
