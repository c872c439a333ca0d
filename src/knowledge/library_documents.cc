// Reading and deleting the documents a reader may see.

#include "common/status.h"
#include "knowledge/library.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {

Result<store::Page<DocumentInfo>> Library::ListDocuments(const Reader& reader,
                                                         const std::string& collection,
                                                         const store::PageRequest& page) {
  DAULAT_RETURN_IF_ERROR(store::CheckPageSize(page));
  std::vector<store::Value> params;
  std::string sql = "SELECT " + internal::DocumentColumns() + " FROM kn_documents d WHERE " +
                    internal::Visible(reader, "d", params);
  if (!collection.empty()) {
    sql += " AND d.collection_id = ?";
    params.emplace_back(collection);
  }
  if (!page.after.empty()) {
    auto after = store::ParseTimeCursor(page.after);
    if (!after.ok()) return after.status();
    sql += " AND (d.created_at < ? OR (d.created_at = ? AND d.document_id > ?))";
    params.insert(params.end(), {after->created_at, after->created_at, after->id});
  }
  sql += " ORDER BY d.created_at DESC, d.document_id LIMIT ?";
  params.emplace_back(static_cast<int64_t>(page.limit) + 1);
  auto rows = store::TenantScope(db_, reader.tenant_id).Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<DocumentInfo> docs;
  for (const auto& r : *rows) docs.push_back(internal::DocumentFrom(r));
  return store::PageOf(std::move(docs), page.limit, [](const DocumentInfo& d) {
    return store::FormatTimeCursor({d.created_at, d.id});
  });
}

Result<DocumentInfo> Library::DocumentFor(store::StatementRunner& runner, const Reader& reader,
                                          const std::string& id) {
  std::vector<store::Value> params;
  const std::string where = internal::Visible(reader, "d", params);
  params.emplace_back(id);
  auto rows = store::TenantScope(runner, reader.tenant_id)
                  .Query("SELECT " + internal::DocumentColumns() + " FROM kn_documents d WHERE " +
                             where + " AND d.document_id = ?",
                         params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no document '" + id + "'");
  return internal::DocumentFrom((*rows)[0]);
}

Result<DocumentInfo> Library::GetDocument(const Reader& reader, const std::string& id) {
  return DocumentFor(db_, reader, id);
}

Result<std::string> Library::OriginalBytes(const Reader& reader, const std::string& id) {
  auto d = GetDocument(reader, id);
  if (!d.ok()) return d.status();
  auto blob = BlobOf(db_, reader.tenant_id, id);
  if (!blob.ok()) return blob.status();
  return blobs_.Get(reader.tenant_id, *blob);
}

Status Library::DeleteDocument(const Reader& reader, const std::string& id) {
  auto index = IndexTable(reader.tenant_id);
  if (!index.ok()) return index.status();
  auto tx = db_.Begin();
  if (!tx.ok()) return tx.status();
  // Whether the reader may see it is decided inside the transaction: a new
  // version (same id) at a level or for groups the reader lacks, committed
  // after a check made outside, would otherwise be deleted by this reader.
  DAULAT_RETURN_IF_ERROR(DocumentFor(**tx, reader, id).status());
  auto blob = BlobOf(**tx, reader.tenant_id, id);  // the version current when it goes
  if (!blob.ok()) return blob.status();
  std::vector<int64_t> removed;
  DAULAT_RETURN_IF_ERROR(internal::Erase(**tx, *index, reader.tenant_id, id, removed));
  DAULAT_RETURN_IF_ERROR((*tx)->Commit());
  UpdateVectors(reader.tenant_id, removed, {});
  {
    std::lock_guard lock(cache_mu_);
    chunk_counts_.erase(reader.tenant_id);
  }
  DAULAT_RETURN_IF_ERROR(blobs_.Delete(reader.tenant_id, *blob));
  for (const auto& hook : erase_hooks_) DAULAT_RETURN_IF_ERROR(hook(reader.tenant_id, id));
  return Status::Ok();
}

}  // namespace daulat::knowledge
