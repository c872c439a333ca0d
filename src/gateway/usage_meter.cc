#include "gateway/usage_meter.h"

#include <chrono>
#include <ctime>

#include "common/clock.h"
#include "common/log.h"
#include "common/text_list.h"

namespace daulat::gateway {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1, "daily usage per tenant, key and model",
     "CREATE TABLE usage_daily (tenant_id TEXT NOT NULL, day TEXT NOT NULL, key_id TEXT NOT NULL, "
     "model TEXT NOT NULL, requests INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, "
     "completion_tokens INTEGER NOT NULL, PRIMARY KEY (tenant_id, day, key_id, model));"},
};

bool IsDay(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

nlohmann::json UsageRowJson(const UsageRow& r, const UsageQuery& q) {
  nlohmann::json j = {{"requests", r.requests},
                      {"prompt_tokens", r.prompt_tokens},
                      {"completion_tokens", r.completion_tokens},
                      {"total_tokens", r.prompt_tokens + r.completion_tokens}};
  if (q.by_day) j["day"] = r.day;
  if (q.by_key) j["key"] = r.key_id;
  if (q.by_model) j["model"] = r.model;
  return j;
}

Status ParseGroupBy(const std::string& text, UsageQuery& q) {
  q.by_day = q.by_key = q.by_model = false;
  for (const auto& part : SplitList(text)) {
    if (part == "day") {
      q.by_day = true;
    } else if (part == "key") {
      q.by_key = true;
    } else if (part == "model") {
      q.by_model = true;
    } else {
      return InvalidArgument("group_by is a comma-separated list of day, key and model");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<UsageMeter>> UsageMeter::Open(store::Database& db, const Clock& clock) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("usage", kMigrations));
  auto meter = std::unique_ptr<UsageMeter>(new UsageMeter(db, clock));
  meter->thread_ = std::thread([m = meter.get()] { m->Run(); });
  return meter;
}

UsageMeter::UsageMeter(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

UsageMeter::~UsageMeter() {
  Stop();
}

void UsageMeter::OnComplete(const RequestContext& ctx) {
  // Inference, and any other request that ran a model (Lumin's answers and
  // summaries): tokens are metered whatever the endpoint.
  const size_t tokens = ctx.prompt_tokens + ctx.completion_tokens;
  if (ctx.http_status == 0 || (ctx.permission != Permission::kInfer && tokens == 0)) return;
  if (ctx.http_status >= 400 && tokens == 0) return;
  const auto& p = ctx.caller.principal;
  Record(p.tenant_id, UtcDay(clock_.Seconds()),
         ctx.caller.key_id.empty() ? "anonymous" : ctx.caller.key_id, ctx.model,
         static_cast<int64_t>(ctx.prompt_tokens), static_cast<int64_t>(ctx.completion_tokens));
}

void UsageMeter::Record(const std::string& tenant_id, const std::string& day,
                        const std::string& key_id, const std::string& model, int64_t prompt_tokens,
                        int64_t completion_tokens) {
  std::lock_guard lock(mu_);
  auto& s = pending_[{tenant_id, day, key_id, model}];
  ++s.requests;
  s.prompt_tokens += prompt_tokens;
  s.completion_tokens += completion_tokens;
}

Status UsageMeter::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::map<Key, Sums> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return Status::Ok();
  auto tx = db_.Begin();
  Status st = tx.status();
  for (const auto& [k, s] : batch) {
    if (!st.ok()) break;
    const auto& [tenant, day, key, model] = k;
    st = (*tx)->Execute(
        "INSERT INTO usage_daily (tenant_id, day, key_id, model, requests, prompt_tokens, "
        "completion_tokens) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, day, key_id, "
        "model) DO UPDATE SET requests = usage_daily.requests + excluded.requests, prompt_tokens "
        "= usage_daily.prompt_tokens + excluded.prompt_tokens, completion_tokens = "
        "usage_daily.completion_tokens + excluded.completion_tokens",
        {tenant, day, key, model, s.requests, s.prompt_tokens, s.completion_tokens});
  }
  if (st.ok()) st = (*tx)->Commit();
  if (!st.ok()) {
    // Keep the counts for the next flush rather than lose them.
    std::lock_guard lock(mu_);
    for (const auto& [k, s] : batch) {
      auto& p = pending_[k];
      p.requests += s.requests;
      p.prompt_tokens += s.prompt_tokens;
      p.completion_tokens += s.completion_tokens;
    }
  }
  return st;
}

void UsageMeter::Run() {
  RepeatedFailure failures("writing the usage to the database");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    lock.unlock();
    if (Status st = Flush(); st.ok()) {
      failures.Succeeded();
    } else {
      failures.Failed(st.ToString());
    }
    lock.lock();
  }
}

void UsageMeter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status st = Flush(); !st.ok()) spdlog::error("usage flush failed: {}", st.ToString());
}

Result<std::vector<UsageRow>> UsageMeter::Query(const std::string& tenant_id, const UsageQuery& q) {
  for (const auto* day : {&q.from_day, &q.to_day}) {
    if (!day->empty() && !IsDay(*day))
      return InvalidArgument("'from' and 'to' are days as YYYY-MM-DD");
  }
  DAULAT_RETURN_IF_ERROR(Flush());
  std::string group;
  std::vector<std::string> cols;
  if (q.by_day) cols.emplace_back("day");
  if (q.by_key) cols.emplace_back("key_id");
  if (q.by_model) cols.emplace_back("model");
  for (const auto& c : cols) group += (group.empty() ? "" : ", ") + c;
  std::string sql = "SELECT " + (group.empty() ? std::string() : group + ", ") +
                    "SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_daily "
                    "WHERE {tenant}";
  std::vector<store::Value> params;
  if (!q.from_day.empty()) {
    sql += " AND day >= ?";
    params.emplace_back(q.from_day);
  }
  if (!q.to_day.empty()) {
    sql += " AND day <= ?";
    params.emplace_back(q.to_day);
  }
  if (!q.key_id.empty()) {
    sql += " AND key_id = ?";
    params.emplace_back(q.key_id);
  }
  if (!group.empty()) sql += " GROUP BY " + group + " ORDER BY " + group;
  auto rows = store::TenantScope(db_, tenant_id).Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<UsageRow> out;
  for (const auto& r : *rows) {
    if (group.empty() && r.IsNull(0)) break;  // no usage at all
    UsageRow u;
    size_t i = 0;
    if (q.by_day) u.day = r.Text(i++);
    if (q.by_key) u.key_id = r.Text(i++);
    if (q.by_model) u.model = r.Text(i++);
    u.requests = r.Int(i);
    u.prompt_tokens = r.Int(i + 1);
    u.completion_tokens = r.Int(i + 2);
    out.push_back(std::move(u));
  }
  return out;
}

Result<int64_t> UsageMeter::RequestsInLastDays(const std::string& tenant_id, int days) {
  UsageQuery q;
  q.from_day = UtcDay(clock_.Seconds() - int64_t{days - 1} * 86400);
  q.by_day = false;
  auto rows = Query(tenant_id, q);
  if (!rows.ok()) return rows.status();
  int64_t requests = 0;
  for (const auto& r : *rows) requests += r.requests;
  return requests;
}

}  // namespace daulat::gateway
