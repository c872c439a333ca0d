#include "governance/audit_log.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace daulat::governance {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1, "audit log",
     "CREATE TABLE audit_records (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, time TEXT NOT "
     "NULL, "
     "record TEXT NOT NULL, leaf_hash TEXT NOT NULL);"
     "CREATE INDEX audit_records_tenant ON audit_records (tenant_id, seq);"
     "CREATE TABLE audit_checkpoints (tree_size INTEGER PRIMARY KEY, root_hash TEXT NOT NULL, note "
     "TEXT NOT NULL);"},
};

std::string Rfc3339(double unix_seconds) {
  const auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  const std::time_t t = whole;
  const auto ms = static_cast<int64_t>((unix_seconds - static_cast<double>(whole)) * 1000) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string CanonicalRecord(const AuditRecord& r) {
  // nlohmann::json objects keep keys sorted, and dump() without indent has no spaces.
  nlohmann::json pii = nlohmann::json::object();
  for (const auto& [k, v] : r.pii_counts) pii[k] = v;
  const nlohmann::json j = {{"action", r.action},
                            {"actor", r.actor},
                            {"classification", r.classification},
                            {"content_hash", r.content_hash},
                            {"decision", r.decision},
                            {"model", r.model},
                            {"pii_counts", pii},
                            {"reason", r.reason},
                            {"resource", r.resource},
                            {"seq", r.seq},
                            {"tenant_id", r.tenant_id},
                            {"time", r.time}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Database& db, CheckpointSigner signer,
                                                 std::string origin, const Clock& clock) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("audit", kMigrations));
  auto log =
      std::unique_ptr<AuditLog>(new AuditLog(db, std::move(signer), std::move(origin), clock));
  auto rows = db.Query("SELECT seq, leaf_hash FROM audit_records ORDER BY seq");
  if (!rows.ok()) return rows.status();
  for (const auto& row : *rows) {
    if (static_cast<uint64_t>(row.Int(0)) != log->tree_.size()) {
      return DataLoss("audit record " + std::to_string(log->tree_.size()) + " is missing");
    }
    auto leaf = HashFromHex(row.Text(1));
    if (!leaf.ok()) return DataLoss("audit record " + row.Text(0) + " has a malformed leaf hash");
    log->tree_.Append(*leaf);
  }
  return log;
}

uint64_t AuditLog::size() const {
  std::lock_guard lock(mu_);
  return tree_.size();
}

Status AuditLog::CatchUp(store::Transaction& tx) {
  auto rows = tx.Query("SELECT seq, leaf_hash FROM audit_records WHERE seq >= ? ORDER BY seq",
                       {static_cast<int64_t>(tree_.size())});
  if (!rows.ok()) return rows.status();
  for (const auto& row : *rows) {
    auto leaf = HashFromHex(row.Text(1));
    if (static_cast<uint64_t>(row.Int(0)) != tree_.size() || !leaf.ok()) {
      return DataLoss("audit record " + std::to_string(tree_.size()) + " is missing or malformed");
    }
    tree_.Append(*leaf);
  }
  return Status::Ok();
}

Result<uint64_t> AuditLog::Append(AuditRecord record) {
  std::vector<AuditRecord> one;
  one.push_back(std::move(record));
  return AppendBatch(std::move(one));
}

Result<uint64_t> AuditLog::AppendBatch(std::vector<AuditRecord> records) {
  std::lock_guard lock(mu_);
  auto tx = db_.Begin();  // BEGIN IMMEDIATE: one writer at a time, across processes too
  if (!tx.ok()) return tx.status();
  DAULAT_RETURN_IF_ERROR(CatchUp(**tx));
  const uint64_t first = tree_.size();
  std::vector<Hash> leaves;
  // Up to kRowsPerInsert records a statement: on PostgreSQL each statement
  // is a round trip made while every node waits for the write lock.
  constexpr size_t kRowsPerInsert = 100;
  for (size_t at = 0; at < records.size(); at += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, records.size() - at);
    std::string sql = "INSERT INTO audit_records (seq, tenant_id, time, record, leaf_hash) VALUES ";
    std::vector<store::Value> params;
    params.reserve(5 * n);
    for (size_t i = at; i < at + n; ++i) {
      AuditRecord& record = records[i];
      record.seq = first + leaves.size();
      record.time = Rfc3339(clock_.Now());
      std::string canonical = CanonicalRecord(record);
      leaves.push_back(LeafHash(canonical));
      sql += i == at ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
      params.insert(params.end(), {static_cast<int64_t>(record.seq), record.tenant_id, record.time,
                                   std::move(canonical), ToHex(leaves.back())});
    }
    DAULAT_RETURN_IF_ERROR((*tx)->Execute(sql, params));
  }
  DAULAT_RETURN_IF_ERROR((*tx)->Commit());
  for (const auto& leaf : leaves) tree_.Append(leaf);
  return first;
}

Result<std::string> AuditLog::Checkpoint() {
  std::lock_guard lock(mu_);
  {
    auto tx = db_.Begin();
    if (!tx.ok()) return tx.status();
    DAULAT_RETURN_IF_ERROR(CatchUp(**tx));
  }
  const governance::Checkpoint c{origin_, tree_.size(), tree_.Root()};
  const std::string note = signer_.Sign(c);
  DAULAT_RETURN_IF_ERROR(
      db_.Execute("INSERT INTO audit_checkpoints (tree_size, root_hash, note) VALUES (?, ?, ?) "
                  "ON CONFLICT (tree_size) DO NOTHING",
                  {static_cast<int64_t>(c.size), ToHex(c.root), note}));
  return note;
}

Result<std::vector<Hash>> AuditLog::InclusionProof(uint64_t seq, uint64_t tree_size) const {
  std::lock_guard lock(mu_);
  return tree_.InclusionProof(seq, tree_size);
}

AuditVerification AuditLog::Verify(store::Database& db, const std::string& verifier_key,
                                   const std::string& origin) {
  AuditVerification v;
  const auto fail = [&v](std::string why) {
    v.status = DataLoss(std::move(why));
    return v;
  };
  // One snapshot for every query below: records and checkpoints written
  // while the check runs would otherwise look like gaps or a truncated log.
  auto snapshot = db.BeginSnapshot();
  if (!snapshot.ok()) {
    v.status = snapshot.status();
    return v;
  }
  store::Transaction& view = **snapshot;
  MerkleTree tree;
  // Pages of 10,000 records, so verifying a large log needs little memory.
  constexpr int64_t kPage = 10000;
  while (true) {
    auto rows = view.Query(
        "SELECT seq, record, leaf_hash FROM audit_records WHERE seq >= ? ORDER BY seq LIMIT ?",
        {static_cast<int64_t>(tree.size()), kPage});
    if (!rows.ok()) {
      v.status = rows.status();
      return v;
    }
    for (const auto& row : *rows) {
      const uint64_t seq = static_cast<uint64_t>(row.Int(0));
      if (seq != tree.size())
        return fail("audit record " + std::to_string(tree.size()) + " is missing");
      const std::string& text = std::get<std::string>(row.values[1]);
      // Canonical records have sorted keys and escaped strings, so the
      // sequence number's own key is the only place `,"seq":` can occur.
      const std::string key = ",\"seq\":" + std::to_string(seq) + ",";
      if (text.find(key) == std::string::npos) {
        return fail("audit record " + std::to_string(seq) +
                    " does not carry its own sequence number (moved or edited)");
      }
      const Hash leaf = LeafHash(text);
      if (ToHex(leaf) != row.Text(2))
        return fail("audit record " + std::to_string(seq) + " was altered after it was written");
      tree.Append(leaf);
    }
    if (static_cast<int64_t>(rows->size()) < kPage) break;
  }
  // A record past a gap is never reached by the pages above.
  auto last = view.Query("SELECT MAX(seq) FROM audit_records");
  if (last.ok() && !last->empty() && !(*last)[0].IsNull(0) &&
      static_cast<uint64_t>((*last)[0].Int(0)) + 1 != tree.size())
    return fail("audit record " + std::to_string(tree.size()) + " is missing");
  v.records = tree.size();
  auto cps =
      view.Query("SELECT tree_size, root_hash, note FROM audit_checkpoints ORDER BY tree_size");
  if (!cps.ok()) {
    v.status = cps.status();
    return v;
  }
  for (const auto& cp : *cps) {
    auto c = VerifyCheckpoint(cp.Text(2), verifier_key);
    if (!c.ok())
      return fail("checkpoint at size " + cp.Text(0) + " does not verify: " + c.status().message());
    if (c->origin != origin)
      return fail("checkpoint at size " + cp.Text(0) + " is signed for another log (\"" +
                  c->origin + "\", not \"" + origin + "\")");
    if (c->size > tree.size()) {
      return fail("a signed checkpoint covers " + std::to_string(c->size) + " records but only " +
                  std::to_string(tree.size()) + " remain (the log was truncated)");
    }
    if (c->root != *tree.RootAt(c->size)) {
      return fail("the records no longer hash to the root signed at size " +
                  std::to_string(c->size) + " (history rewritten)");
    }
    ++v.checkpoints;
  }
  return v;
}

}  // namespace daulat::governance
