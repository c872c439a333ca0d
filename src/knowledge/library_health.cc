#include "knowledge/library_health.h"

#include <map>
#include <set>

#include "common/sha256.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {
namespace {

// The library's tables hold every tenant: these statements are the
// operator's, across tenants, so they run on the database directly.
constexpr const char* kOrphanChunks =
    "FROM kn_chunks WHERE NOT EXISTS (SELECT 1 FROM kn_documents d WHERE d.tenant_id = "
    "kn_chunks.tenant_id AND d.document_id = kn_chunks.document_id)";
constexpr const char* kDocumentsAndBlobs =
    "SELECT tenant_id, document_id, COALESCE(blob_id, document_id), content_hash FROM "
    "kn_documents";
constexpr const char* kOrphanVectors =
    "FROM kn_vectors WHERE NOT EXISTS (SELECT 1 FROM kn_chunks c WHERE c.chunk_id = "
    "kn_vectors.chunk_id AND c.tenant_id = kn_vectors.tenant_id)";

Result<int64_t> Count(store::StatementRunner& db, const std::string& from,
                      const std::vector<store::Value>& params = {}) {
  auto rows = db.Query("SELECT COUNT(*) " + from, params);
  if (!rows.ok()) return rows.status();
  return rows->front().Int(0);
}

// Each tenant's BM25 table (library.cc IndexTable) by name, with the tenant
// it belongs to; "" for a table no tenant with passages or documents names.
Result<std::map<std::string, std::string>> IndexTables(store::StatementRunner& db) {
  auto tables = db.Query(internal::TextIndexTables(db.dialect()));
  if (!tables.ok()) return tables.status();
  std::map<std::string, std::string> out;
  for (const auto& r : *tables) {
    // Pasted into statements below: only names library.cc makes.
    const std::string name = r.Text(0);
    if (name.size() == 25 && name.find_first_not_of("0123456789abcdef", 9) == std::string::npos)
      out[name] = "";
  }
  auto tenants =
      db.Query("SELECT tenant_id FROM kn_documents UNION SELECT tenant_id FROM kn_chunks");
  if (!tenants.ok()) return tenants.status();
  for (const auto& r : *tenants) {
    const std::string table = internal::IndexTableName(r.Text(0));
    if (out.count(table) != 0) out[table] = r.Text(0);
  }
  return out;
}

// BM25 entries of a table whose passage is gone (or another tenant's).
std::string OrphanEntries(const std::string& table) {
  return "FROM " + table +
         " WHERE rowid NOT IN (SELECT chunk_id FROM kn_chunks WHERE tenant_id = ?)";
}

// A tenant's passages its BM25 table does not hold.
std::string UnindexedChunks(const std::string& table) {
  return "FROM kn_chunks c JOIN kn_documents d ON d.tenant_id = c.tenant_id AND d.document_id = "
         "c.document_id WHERE c.tenant_id = ? AND c.chunk_id NOT IN (SELECT rowid FROM " +
         table + ")";
}

Status CountRows(store::StatementRunner& db, const std::map<std::string, std::string>& tables,
                 LibraryHealth& h) {
  auto documents = Count(db, "FROM kn_documents");
  if (!documents.ok()) return documents.status();
  h.documents = *documents;
  auto chunks = Count(db, kOrphanChunks);
  if (!chunks.ok()) return chunks.status();
  h.orphan_chunks = *chunks;
  auto vectors = Count(db, kOrphanVectors);
  if (!vectors.ok()) return vectors.status();
  h.orphan_vectors = *vectors;
  for (const auto& [table, tenant] : tables) {
    auto entries = Count(db, OrphanEntries(table), {tenant});
    if (!entries.ok()) return entries.status();
    h.orphan_index_entries += *entries;
    if (tenant.empty()) continue;
    auto unindexed = Count(db, UnindexedChunks(table), {tenant});
    if (!unindexed.ok()) return unindexed.status();
    h.unindexed_chunks += *unindexed;
  }
  return Status::Ok();
}

Status RepairRows(store::Database& db, const std::map<std::string, std::string>& tables) {
  auto tx = db.Begin();
  if (!tx.ok()) return tx.status();
  DAULAT_RETURN_IF_ERROR((*tx)->Execute(std::string("DELETE ") + kOrphanChunks));
  DAULAT_RETURN_IF_ERROR((*tx)->Execute(std::string("DELETE ") + kOrphanVectors));
  for (const auto& [table, tenant] : tables) {
    DAULAT_RETURN_IF_ERROR((*tx)->Execute(
        "DELETE FROM " + table + " WHERE rowid IN (SELECT rowid " + OrphanEntries(table) + ")",
        {tenant}));
    if (tenant.empty()) continue;
    auto missing = (*tx)->Query(
        "SELECT c.chunk_id, d.title, c.heading_path, c.text " + UnindexedChunks(table), {tenant});
    if (!missing.ok()) return missing.status();
    for (const auto& r : *missing) {
      DAULAT_RETURN_IF_ERROR((*tx)->Execute(
          "INSERT INTO " + table + " (rowid, terms) VALUES (?, ?)",
          {r.Int(0), internal::IndexTerms(r.Text(1) + "\n" + r.Text(2) + "\n" + r.Text(3))}));
    }
  }
  return (*tx)->Commit();
}

}  // namespace

bool LibraryHealth::HasDebris() const {
  return !orphan_blobs.empty() || orphan_chunks > 0 || orphan_vectors > 0 ||
         orphan_index_entries > 0 || unindexed_chunks > 0;
}

nlohmann::json ToJson(const LibraryHealth& h) {
  return {{"documents", h.documents},
          {"stored_blobs", h.stored_blobs},
          {"orphan_blobs", h.orphan_blobs},
          {"recent_unnamed_blobs", h.recent_unnamed_blobs},
          {"orphan_chunks", h.orphan_chunks},
          {"orphan_vectors", h.orphan_vectors},
          {"orphan_index_entries", h.orphan_index_entries},
          {"unindexed_chunks", h.unindexed_chunks},
          {"missing_originals", h.missing_originals},
          {"damaged_originals", h.damaged_originals}};
}

Result<int64_t> DiscardUnnamedOriginals(store::Database& db, store::BlobStore& blobs,
                                        int64_t in_flight_seconds) {
  std::set<std::pair<std::string, std::string>> named;  // (folder, blob)
  {
    // Named before the store is listed: a blob written meanwhile is young.
    auto snapshot = db.BeginSnapshot();
    if (!snapshot.ok()) return snapshot.status();
    auto rows = (*snapshot)->Query(kDocumentsAndBlobs);
    if (!rows.ok()) return rows.status();
    DAULAT_RETURN_IF_ERROR((*snapshot)->Commit());
    for (const auto& r : *rows) named.emplace(store::BlobStore::FolderOf(r.Text(0)), r.Text(2));
  }
  auto stored = blobs.List();
  if (!stored.ok()) return stored.status();
  int64_t discarded = 0;
  for (const auto& b : *stored) {
    if (named.count({b.folder, b.name}) != 0 || b.age_seconds < in_flight_seconds) continue;
    DAULAT_RETURN_IF_ERROR(blobs.Discard(b));
    ++discarded;
  }
  return discarded;
}

Result<LibraryHealth> CheckLibrary(store::Database& db, store::BlobStore& blobs,
                                   const HealthOptions& options) {
  LibraryHealth h;
  // The rows from one state of the database; the blobs listed after it, so
  // a blob written meanwhile is at worst unnamed, never a row without one.
  std::map<std::string, std::string> tables;
  std::vector<store::Row> documents;
  {
    auto snapshot = db.BeginSnapshot();
    if (!snapshot.ok()) return snapshot.status();
    auto found = IndexTables(**snapshot);
    if (!found.ok()) return found.status();
    tables = std::move(found).value();
    DAULAT_RETURN_IF_ERROR(CountRows(**snapshot, tables, h));
    auto rows = (*snapshot)->Query(kDocumentsAndBlobs);
    if (!rows.ok()) return rows.status();
    documents = std::move(rows).value();
    DAULAT_RETURN_IF_ERROR((*snapshot)->Commit());  // no reader held while originals are read
  }
  std::set<std::pair<std::string, std::string>> named;  // (folder, blob)
  for (const auto& r : documents) named.emplace(store::BlobStore::FolderOf(r.Text(0)), r.Text(2));
  auto stored = blobs.List();
  if (!stored.ok()) return stored.status();
  std::set<std::pair<std::string, std::string>> present;
  for (const auto& b : *stored) present.emplace(b.folder, b.name);
  h.stored_blobs = static_cast<int64_t>(stored->size());
  for (const auto& b : *stored) {
    if (named.count({b.folder, b.name}) != 0) continue;
    if (b.age_seconds < options.in_flight_seconds)
      ++h.recent_unnamed_blobs;
    else
      h.orphan_blobs.push_back(b.folder + "/" + b.name);
  }
  for (const auto& r : documents) {
    const bool missing = present.count({store::BlobStore::FolderOf(r.Text(0)), r.Text(2)}) == 0;
    bool damaged = false;
    if (!missing && options.verify_originals) {
      auto bytes = blobs.Get(r.Text(0), r.Text(2));
      damaged = !bytes.ok() || "sha256:" + Sha256Hex(*bytes) != r.Text(3);
    }
    if (!missing && !damaged) continue;
    // Beside a running server the document may have been replaced or erased
    // since the rows were read: only what still holds now is reported.
    if (options.in_flight_seconds > 0) {
      auto now =
          db.Query(std::string(kDocumentsAndBlobs) + " WHERE tenant_id = ? AND document_id = ?",
                   {r.Text(0), r.Text(1)});
      if (!now.ok()) return now.status();
      if (now->empty() || now->front().Text(2) != r.Text(2) || now->front().Text(3) != r.Text(3))
        continue;
    }
    (missing ? h.missing_originals : h.damaged_originals).push_back(r.Text(0) + "/" + r.Text(1));
  }
  if (!options.repair) return h;
  DAULAT_RETURN_IF_ERROR(RepairRows(db, tables));
  for (const auto& orphan : h.orphan_blobs) {
    const size_t slash = orphan.find('/');
    DAULAT_RETURN_IF_ERROR(
        blobs.Discard(store::StoredBlob{orphan.substr(0, slash), orphan.substr(slash + 1), 0}));
  }
  return h;
}

}  // namespace daulat::knowledge
