// Embedding the chunks that have no vector from the current embedding model
// (documents added before it was installed, or under a model since
// replaced): the work of `daulat documents reindex` and the server's
// background backfill. The index those vectors join is library_vectors.cc.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "knowledge/library.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {

Result<size_t> Library::AddMissingVectors(const std::string& tenant_id,
                                          const std::function<void(size_t, size_t)>& progress,
                                          const std::atomic<bool>* stop) {
  if (!embed_) return FailedPrecondition("no embedding model is installed");
  // Chunks without a vector from the current model: added before a model was
  // installed, or embedded by another model since replaced. Read a batch at
  // a time, so a large library costs no more memory than one batch.
  const std::string missing =
      "FROM kn_chunks c JOIN kn_documents d ON {tenant:d} AND d.document_id = c.document_id "
      "LEFT JOIN kn_vectors v ON {tenant:v} AND v.chunk_id = c.chunk_id AND v.model = ? WHERE "
      "{tenant:c} AND v.chunk_id IS NULL";
  auto count =
      store::TenantScope(db_, tenant_id).Query("SELECT COUNT(*) " + missing, {embed_model_});
  if (!count.ok()) return count.status();
  const auto total = static_cast<size_t>(count->at(0).Int(0));
  size_t done = 0, seen = 0;
  int64_t after = -1;
  while (seen < total) {
    if (stop != nullptr && stop->load()) return Cancelled("stopped");
    auto rows = store::TenantScope(db_, tenant_id)
                    .Query("SELECT c.chunk_id, c.heading_path, c.text, d.title " + missing +
                               " AND c.chunk_id > ? ORDER BY c.chunk_id LIMIT 64",
                           {embed_model_, after});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) break;
    std::vector<std::pair<int64_t, std::vector<float>>> batch;
    std::unordered_map<int64_t, std::string> embedded;  // what each vector was made from
    for (const auto& r : *rows) {
      if (stop != nullptr && stop->load()) return Cancelled("stopped");
      std::string text = internal::PassageText(r.Text(3), r.Text(1), r.Text(2));
      auto v = Embed(text, EmbedAs::kPassage);
      if (!v.ok()) return v.status();
      batch.emplace_back(r.Int(0), std::move(v).value());
      embedded[r.Int(0)] = std::move(text);
    }
    after = rows->back().Int(0);
    seen += rows->size();
    auto tx = db_.Begin();
    if (!tx.ok()) return tx.status();
    // A chunk deleted, or replaced by another under the same id, while it
    // was embedded keeps no vector made from the old text (the transaction
    // holds the write lock, so nothing changes meanwhile).
    std::string ids;
    for (const auto& [id, v] : batch) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    auto present = store::TenantScope(**tx, tenant_id)
                       .Query(
                           "SELECT c.chunk_id, c.heading_path, c.text, d.title FROM kn_chunks c "
                           "JOIN kn_documents d ON {tenant:d} AND d.document_id = c.document_id "
                           "WHERE {tenant:c} AND c.chunk_id IN (" +
                               ids + ")",
                           {});
    if (!present.ok()) return present.status();
    std::set<int64_t> same;
    for (const auto& r : *present) {
      if (embedded[r.Int(0)] == internal::PassageText(r.Text(3), r.Text(1), r.Text(2)))
        same.insert(r.Int(0));
    }
    std::erase_if(batch, [&same](const auto& b) { return same.count(b.first) == 0; });
    for (const auto& [id, v] : batch) {
      // A chunk still holding another model's vector gets this one instead.
      DAULAT_RETURN_IF_ERROR((*tx)->Execute(
          "INSERT INTO kn_vectors (chunk_id, tenant_id, model, vector) VALUES (?, ?, ?, ?) ON "
          "CONFLICT (chunk_id) DO UPDATE SET tenant_id = excluded.tenant_id, model = "
          "excluded.model, vector = excluded.vector",
          {id, tenant_id, embed_model_,
           store::Bytes{
               std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float))}}));
    }
    DAULAT_RETURN_IF_ERROR((*tx)->Commit());
    UpdateVectors(tenant_id, {}, batch);
    done += batch.size();
    if (progress) progress(std::min(seen, total), total);
  }
  return done;
}

}  // namespace daulat::knowledge
