#include "governance/audit_export.h"

#include <sodium.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace daulat::governance {
namespace {

// The note's second line is the tree size it commits to, its third the root.
uint64_t NoteTreeSize(const std::string& note) {
  const size_t nl = note.find('\n');
  return nl == std::string::npos ? 0 : std::strtoull(note.c_str() + nl + 1, nullptr, 10);
}

// The root hash on the note's third line (base64); all zeroes when unreadable.
Hash NoteRoot(const std::string& note) {
  Hash root{};
  size_t at = note.find('\n');
  if (at != std::string::npos) at = note.find('\n', at + 1);
  if (at == std::string::npos) return root;
  const size_t end = note.find('\n', at + 1);
  const std::string b64 =
      note.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
  std::vector<uint8_t> bytes;
  if (Unbase64(b64, bytes) && bytes.size() == root.size())
    std::copy(bytes.begin(), bytes.end(), root.begin());
  return root;
}

}  // namespace

Result<AuditPage> ListAudit(store::Database& db, const std::string& tenant_id,
                            const AuditQuery& query) {
  store::TenantScope scope(db, tenant_id);
  AuditPage page;
  page.next_after = query.after;
  const auto full = [&] { return static_cast<int64_t>(page.records.size()) >= query.limit; };
  while (!full()) {
    auto rows =
        scope.Select("audit_records", {"seq", "record"}, "seq > ?", {page.next_after}, "seq", 500);
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      page.next_after = r.Int(0);
      auto rec = nlohmann::json::parse(r.Text(1), nullptr, false);
      if (rec.is_discarded()) continue;
      if (!query.action.empty() && rec.value("action", "") != query.action) continue;
      if (!query.actor.empty() && rec.value("actor", "") != query.actor) continue;
      page.records.push_back(std::move(rec));
      if (full()) break;
    }
    if (rows->size() < 500) break;
  }
  return page;
}

Status ExportAudit(AuditLog& log, store::Database& db, const std::string& tenant_id,
                   const std::function<bool(const std::string& line)>& write) {
  using nlohmann::json;
  auto note = log.Checkpoint();
  if (!note.ok()) return note.status();
  const uint64_t size = NoteTreeSize(*note);
  if (!write(json{{"type", "checkpoint"},
                  {"note", *note},
                  {"tree_size", size},
                  {"verifier_key", log.verifier_key()}}
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
             "\n"))
    return Cancelled("the export was stopped");
  store::TenantScope scope(db, tenant_id);
  int64_t after = -1;
  while (true) {
    auto rows = scope.Select("audit_records", {"seq", "record", "leaf_hash"}, "seq > ? AND seq < ?",
                             {after, static_cast<int64_t>(size)}, "seq", 1000);
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      after = r.Int(0);
      auto proof = log.InclusionProof(static_cast<uint64_t>(after), size);
      if (!proof.ok()) return proof.status();
      json hashes = json::array();
      for (const auto& h : *proof) hashes.push_back(ToHex(h));
      if (!write(json{{"type", "record"},
                      {"seq", after},
                      {"leaf", r.Text(1)},
                      {"leaf_hash", r.Text(2)},
                      {"inclusion_proof", hashes}}
                     .dump(-1, ' ', false, json::error_handler_t::replace) +
                 "\n"))
        return Cancelled("the export was stopped");
    }
    if (rows->size() < 1000) return Status::Ok();
  }
}

Result<nlohmann::json> ProveAuditRecord(AuditLog& log, store::Database& db,
                                        const std::string& tenant_id, uint64_t seq) {
  using nlohmann::json;
  store::TenantScope scope(db, tenant_id);
  auto rows = scope.Select("audit_records", {"seq", "record", "leaf_hash"}, "seq = ?",
                           {static_cast<int64_t>(seq)}, "seq", 1);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no audit record " + std::to_string(seq));
  auto note = log.Checkpoint();
  if (!note.ok()) return note.status();
  const uint64_t size = NoteTreeSize(*note);
  auto proof = log.InclusionProof(seq, size);
  if (!proof.ok()) return proof.status();
  json hashes = json::array();
  for (const auto& h : *proof) hashes.push_back(ToHex(h));
  const auto& row = rows->front();
  const Hash root = NoteRoot(*note);
  auto leaf_hash = HashFromHex(row.Text(2));
  const bool verified = leaf_hash.ok() && LeafHash(row.Text(1)) == *leaf_hash &&
                        VerifyInclusion(*leaf_hash, static_cast<size_t>(seq),
                                        static_cast<size_t>(size), *proof, root);
  return json{{"checkpoint",
               {{"note", *note},
                {"tree_size", size},
                {"root", ToHex(root)},
                {"verifier_key", log.verifier_key()}}},
              {"seq", seq},
              {"record", json::parse(row.Text(1), nullptr, false)},
              {"leaf", row.Text(1)},
              {"leaf_hash", row.Text(2)},
              {"inclusion_proof", hashes},
              {"proof_verified", verified}};
}

}  // namespace daulat::governance
