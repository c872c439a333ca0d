#include "governance/audit_export.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace daulat::governance {

Status ExportAudit(AuditLog& log, store::Database& db, const std::string& tenant_id,
                   const std::function<void(const std::string& line)>& write) {
  using nlohmann::json;
  auto note = log.Checkpoint();
  if (!note.ok()) return note.status();
  // The note's second line is the tree size it commits to.
  const size_t nl = note->find('\n');
  const uint64_t size =
      nl == std::string::npos ? 0 : std::strtoull(note->c_str() + nl + 1, nullptr, 10);
  write(json{{"type", "checkpoint"},
             {"note", *note},
             {"tree_size", size},
             {"verifier_key", log.verifier_key()}}
            .dump() +
        "\n");
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
      write(json{{"type", "record"},
                 {"seq", after},
                 {"leaf", r.Text(1)},
                 {"leaf_hash", r.Text(2)},
                 {"inclusion_proof", hashes}}
                .dump(-1, ' ', false, json::error_handler_t::replace) +
            "\n");
    }
    if (rows->size() < 1000) return Status::Ok();
  }
}

}  // namespace daulat::governance
