#include "knowledge/library.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/clock.h"
#include "common/sha256.h"
#include "common/utf8.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1, "collections, documents and chunks",
     "CREATE TABLE kn_collections (tenant_id TEXT NOT NULL, collection_id TEXT NOT NULL, name TEXT "
     "NOT NULL, description TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, "
     "collection_id));"
     "CREATE TABLE kn_documents (tenant_id TEXT NOT NULL, document_id TEXT NOT NULL, collection_id "
     "TEXT NOT NULL, title TEXT NOT NULL, source_name TEXT NOT NULL, format TEXT NOT NULL, "
     "language TEXT NOT NULL, classification_rank INTEGER NOT NULL, acl TEXT NOT NULL, "
     "content_hash TEXT NOT NULL, version INTEGER NOT NULL, size_bytes INTEGER NOT NULL, pages "
     "INTEGER NOT NULL, chunks INTEGER NOT NULL, pages_without_text TEXT NOT NULL, created_at "
     "INTEGER NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (tenant_id, document_id));"
     "CREATE INDEX kn_documents_by_hash ON kn_documents (tenant_id, collection_id, content_hash);"
     "CREATE INDEX kn_documents_by_name ON kn_documents (tenant_id, collection_id, source_name);"
     "CREATE TABLE kn_chunks (chunk_id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, document_id "
     "TEXT NOT NULL, collection_id TEXT NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL, "
     "heading_path TEXT NOT NULL, page INTEGER NOT NULL, char_start INTEGER NOT NULL, char_end "
     "INTEGER NOT NULL, classification_rank INTEGER NOT NULL, acl TEXT NOT NULL);"
     "CREATE INDEX kn_chunks_by_document ON kn_chunks (tenant_id, document_id, seq);"},
    {2, "chunk vectors for hybrid retrieval",
     "CREATE TABLE kn_vectors (chunk_id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, model TEXT "
     "NOT NULL, vector TEXT NOT NULL);"
     "CREATE INDEX kn_vectors_by_tenant ON kn_vectors (tenant_id);",
     // A vector is raw float bytes: text on PostgreSQL would refuse them.
     "CREATE TABLE kn_vectors (chunk_id BIGINT PRIMARY KEY, tenant_id TEXT NOT NULL, model TEXT "
     "NOT NULL, vector BYTEA NOT NULL);"
     "CREATE INDEX kn_vectors_by_tenant ON kn_vectors (tenant_id);"},
    // Each version's original gets a blob of its own, written before and
    // removed after the transaction that names it: a crash or a failed commit
    // leaves an unnamed blob (`daulat doctor` removes it), never a document
    // whose original is another version's. NULL: the blob is named by the
    // document id (databases from before this migration).
    {3, "a blob per document version", "ALTER TABLE kn_documents ADD COLUMN blob_id TEXT;"},
    // Listing pages walk documents newest first (of a tenant, or of one of
    // its collections) from a cursor, without sorting the whole library.
    {4, "documents in listing order",
     "CREATE INDEX kn_documents_by_time ON kn_documents (tenant_id, created_at DESC, "
     "document_id);"
     "CREATE INDEX kn_documents_by_collection_time ON kn_documents (tenant_id, collection_id, "
     "created_at DESC, document_id);"},
};

std::vector<std::string> AclGroups(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t sp = text.find(' ', pos);
    const size_t end = sp == std::string::npos ? text.size() : sp;
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

namespace internal {

const std::string& DocumentColumns() {
  static const std::string columns = [] {
    std::string out;
    for (const char* c :
         {"document_id", "collection_id", "title", "source_name", "format", "language",
          "classification_rank", "acl", "content_hash", "version", "size_bytes", "pages", "chunks",
          "created_at", "created_by", "pages_without_text"})
      out += (out.empty() ? "" : ", ") + std::string(c);
    return out;
  }();
  return columns;
}

Status Erase(store::Transaction& tx, const std::string& index, const std::string& tenant_id,
             const std::string& id, std::vector<int64_t>& removed) {
  store::TenantScope scope(tx, tenant_id);
  auto chunks = scope.Select("kn_chunks", {"chunk_id"}, "document_id = ?", {id});
  if (!chunks.ok()) return chunks.status();
  for (const auto& r : *chunks) removed.push_back(r.Int(0));
  DAULAT_RETURN_IF_ERROR(scope.Execute(
      "DELETE FROM kn_vectors WHERE {tenant} AND chunk_id IN (SELECT chunk_id FROM kn_chunks c "
      "WHERE {tenant:c} AND c.document_id = ?)",
      {id}));
  DAULAT_RETURN_IF_ERROR(scope.Execute("DELETE FROM " + index +
                                           " WHERE rowid IN (SELECT chunk_id FROM kn_chunks c "
                                           "WHERE {tenant:c} AND c.document_id = ?)",
                                       {id}));
  DAULAT_RETURN_IF_ERROR(scope.Delete("kn_chunks", "document_id = ?", {id}).status());
  return scope.Delete("kn_documents", "document_id = ?", {id}).status();
}

DocumentInfo DocumentFrom(const store::Row& r) {
  DocumentInfo d;
  d.id = r.Text(0);
  d.collection = r.Text(1);
  d.title = r.Text(2);
  d.source_name = r.Text(3);
  d.format = r.Text(4);
  d.language = r.Text(5);
  d.classification = ClassificationFromRank(r.Int(6));
  d.acl = AclGroups(r.Text(7));
  d.content_hash = r.Text(8);
  d.version = r.Int(9);
  d.size_bytes = r.Int(10);
  d.pages = r.Int(11);
  d.chunks = r.Int(12);
  d.created_at = r.Int(13);
  d.created_by = r.Text(14);
  for (const auto& p : AclGroups(r.Text(15))) d.pages_without_text.push_back(std::stoi(p));
  return d;
}

}  // namespace internal

namespace {

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '-' || id[0] == '_') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// ACL groups stored padded (" a b "), so "% a %" finds a whole group name.
std::string AclText(const std::vector<std::string>& groups) {
  if (groups.empty()) return "";
  std::string out = " ";
  for (const auto& g : groups) out += g + " ";
  return out;
}

}  // namespace

Result<std::unique_ptr<Library>> Library::Open(store::Database& db, store::BlobStore& blobs) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("knowledge", kMigrations));
  return std::unique_ptr<Library>(new Library(db, blobs));
}

Result<std::string> Library::BlobOf(store::StatementRunner& runner, const std::string& tenant_id,
                                    const std::string& document_id) {
  auto rows = store::TenantScope(runner, tenant_id)
                  .Select("kn_documents", {"blob_id"}, "document_id = ?", {document_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no document '" + document_id + "'");
  return (*rows)[0].IsNull(0) ? document_id : (*rows)[0].Text(0);
}

Result<std::string> Library::IndexTable(const std::string& tenant_id) {
  const std::string name = internal::IndexTableName(tenant_id);
  {
    std::lock_guard lock(cache_mu_);
    if (text_indexes_.count(name) != 0) return name;
  }
  DAULAT_RETURN_IF_ERROR(internal::CreateTextIndex(db_, name));
  std::lock_guard lock(cache_mu_);
  text_indexes_.insert(name);
  return name;
}

Status Library::CreateCollection(const std::string& tenant_id, const std::string& id,
                                 const std::string& name, const std::string& description) {
  if (!ValidId(id)) return InvalidArgument("a collection id is 1-64 of a-z, 0-9, '-' and '_'");
  if (name.empty() || name.size() > 200)
    return InvalidArgument("a collection name is 1-200 characters");
  if (description.size() > 2000) return InvalidArgument("a description is at most 2000 characters");
  store::TenantScope scope(db_, tenant_id);
  Status st = scope.Insert("kn_collections", {"collection_id", "name", "description", "created_at"},
                           {id, name, description, UnixSeconds()});
  if (st.code() == StatusCode::kFailedPrecondition)
    return AlreadyExists("the collection '" + id + "' already exists");
  return st;
}

Result<std::vector<CollectionInfo>> Library::ListCollections(const std::string& tenant_id) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Query(
                      "SELECT c.collection_id, c.name, c.description, c.created_at, (SELECT "
                      "COUNT(*) FROM kn_documents d WHERE {tenant:d} AND d.collection_id = "
                      "c.collection_id) FROM kn_collections c WHERE {tenant:c} ORDER BY "
                      "c.collection_id");
  if (!rows.ok()) return rows.status();
  std::vector<CollectionInfo> out;
  for (const auto& r : *rows) out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4)});
  return out;
}

bool IsLanguageTag(std::string_view tag) {
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto alnum = [&](char c) {
    return lower(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    const size_t dash = tag.find('-', pos);
    const std::string_view sub =
        tag.substr(pos, dash == std::string_view::npos ? std::string_view::npos : dash - pos);
    const bool ok =
        part == 0
            ? sub.size() >= 2 && sub.size() <= 3 && std::all_of(sub.begin(), sub.end(), lower)
            : sub.size() >= 2 && sub.size() <= 8 && std::all_of(sub.begin(), sub.end(), alnum);
    if (!ok) return false;
    if (dash == std::string_view::npos) return true;
    pos = dash + 1;
  }
  return false;
}

Status Library::MayUpload(const Reader& uploader, const DocumentOptions& o) {
  if (!o.language.empty() && !IsLanguageTag(o.language)) return InvalidArgument(kLanguageTagRule);
  if (o.classification > uploader.clearance)
    return PermissionDenied("cannot add a " + std::string(ClassificationName(o.classification)) +
                            " document above your clearance (" +
                            std::string(ClassificationName(uploader.clearance)) + ")");
  return Status::Ok();
}

Result<DocumentInfo> Library::AddDocument(const Reader& uploader, std::string_view bytes,
                                          const DocumentOptions& given) {
  // Names from old systems arrive in other encodings: shown and stored as
  // UTF-8, what is not UTF-8 replaced.
  DocumentOptions o = given;
  o.source_name = ValidUtf8(o.source_name);
  o.title = ValidUtf8(o.title);
  const std::string& tenant_id = uploader.tenant_id;
  DAULAT_RETURN_IF_ERROR(MayUpload(uploader, o));
  store::TenantScope scope(db_, tenant_id);
  auto collection =
      scope.Select("kn_collections", {"collection_id"}, "collection_id = ?", {o.collection});
  if (!collection.ok()) return collection.status();
  if (collection->empty()) return NotFound("no collection '" + o.collection + "'");
  if (o.source_name.empty() || o.source_name.size() > 512)
    return InvalidArgument("a document needs a source name of 1-512 characters");
  if (o.acl.size() > 64) return InvalidArgument("at most 64 ACL groups");
  for (const auto& g : o.acl) {
    if (g.empty() || g.size() > 64 || g.find(' ') != std::string::npos)
      return InvalidArgument("an ACL group is 1-64 characters without spaces");
  }
  const std::string hash = "sha256:" + Sha256Hex(bytes);
  auto same = VisibleDocument(db_, uploader, "d.content_hash = ?", o.collection, hash);
  if (!same.ok()) return same.status();
  if (!same->empty()) {
    DocumentInfo d = internal::DocumentFrom((*same)[0]);
    d.duplicate = true;
    return d;
  }
  auto parsed = ParseDocument(bytes, o.source_name, o.limits);
  if (!parsed.ok()) return parsed.status();
  ChunkOptions chunking = o.chunking;
  if (!chunking.count_tokens && count_tokens_) chunking.count_tokens = count_tokens_;
  const std::vector<Chunk> chunks = ChunkDocument(*parsed, chunking);

  DocumentInfo d;
  d.collection = o.collection;
  d.source_name = o.source_name;
  d.title = !o.title.empty()         ? o.title
            : !parsed->title.empty() ? ValidUtf8(parsed->title)
                                     : o.source_name;
  d.format = parsed->format;
  d.language = !o.language.empty() ? o.language : DetectLanguage(DocumentText(*parsed));
  d.classification = o.classification;
  d.acl = o.acl;
  d.content_hash = hash;
  d.size_bytes = static_cast<int64_t>(bytes.size());
  d.pages = parsed->pages;
  d.chunks = static_cast<int64_t>(chunks.size());
  d.created_at = UnixSeconds();
  d.created_by = o.actor;
  d.pages_without_text = parsed->pages_without_text;
  d.ocr_pages = parsed->ocr_pages;
  auto index = IndexTable(tenant_id);
  if (!index.ok()) return index.status();
  std::vector<std::string> vectors;  // raw float bytes per chunk, when an embedder is set
  if (embed_) {
    for (const Chunk& c : chunks) {
      auto v = Embed(internal::PassageText(d.title, c.heading_path, c.text), EmbedAs::kPassage);
      if (!v.ok())
        return Status(v.status().code(), "embedding a chunk failed: " + v.status().message());
      vectors.emplace_back(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
    }
  }
  const std::string blob_id = internal::NewId("blob_");
  DAULAT_RETURN_IF_ERROR(blobs_.Put(tenant_id, blob_id, bytes));
  // Until the transaction commits, the new blob is named by nothing: on any
  // failure it goes again.
  struct Unnamed {
    store::BlobStore& blobs;
    const std::string &tenant, &id;
    bool named = false;
    ~Unnamed() {
      if (!named) (void)blobs.Delete(tenant, id);
    }
  } unnamed{blobs_, tenant_id, blob_id};
  auto tx = db_.Begin();
  if (!tx.ok()) return tx.status();
  // Decided again under the write lock: two uploads of the same bytes at
  // once keep one document, and two of one new name make one document with
  // two versions, not two documents of that name.
  auto twin = VisibleDocument(**tx, uploader, "d.content_hash = ?", o.collection, hash);
  if (!twin.ok()) return twin.status();
  if (!twin->empty()) {
    DocumentInfo first = internal::DocumentFrom((*twin)[0]);
    first.duplicate = true;
    return first;
  }
  auto previous = VisibleDocument(**tx, uploader, "d.source_name = ?", o.collection, o.source_name);
  if (!previous.ok()) return previous.status();
  const bool replaces = !previous->empty();
  d.id = replaces ? internal::DocumentFrom((*previous)[0]).id : internal::NewId("doc_");
  d.version = replaces ? internal::DocumentFrom((*previous)[0]).version + 1 : 1;
  std::string replaced_blob;
  if (replaces) {
    auto blob = BlobOf(**tx, tenant_id, d.id);
    if (!blob.ok()) return blob.status();
    replaced_blob = *blob;
  }
  std::vector<int64_t> removed;
  std::vector<std::pair<int64_t, std::vector<float>>> added;
  if (replaces) DAULAT_RETURN_IF_ERROR(internal::Erase(**tx, *index, tenant_id, d.id, removed));
  std::vector<store::Value> indexed;  // (chunk id, terms) per passage
  std::string pages_without_text;
  for (const int p : d.pages_without_text) pages_without_text += std::to_string(p) + " ";
  const std::string acl = AclText(d.acl);
  DAULAT_RETURN_IF_ERROR((*tx)->Execute(
      "INSERT INTO kn_documents (tenant_id, " + internal::DocumentColumns() +
          ", blob_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {tenant_id, d.id, d.collection, d.title, d.source_name, d.format, d.language,
       static_cast<int64_t>(d.classification), acl, d.content_hash, d.version, d.size_bytes,
       d.pages, d.chunks, d.created_at, d.created_by, pages_without_text, blob_id}));
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    auto id = (*tx)->Query(
        "INSERT INTO kn_chunks (tenant_id, document_id, collection_id, seq, text, heading_path, "
        "page, char_start, char_end, classification_rank, acl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?) RETURNING chunk_id",
        {tenant_id, d.id, d.collection, static_cast<int64_t>(i), c.text, c.heading_path,
         int64_t{c.page}, static_cast<int64_t>(c.char_start), static_cast<int64_t>(c.char_end),
         static_cast<int64_t>(d.classification), acl});
    if (!id.ok()) return id.status();
    indexed.emplace_back((*id)[0].Int(0));
    indexed.emplace_back(internal::IndexTerms(d.title + "\n" + c.heading_path + "\n" + c.text));
    if (!vectors.empty()) {
      DAULAT_RETURN_IF_ERROR((*tx)->Execute(
          "INSERT INTO kn_vectors (chunk_id, tenant_id, model, vector) VALUES (?, ?, ?, ?)",
          {(*id)[0].Int(0), tenant_id, embed_model_, store::Bytes{vectors[i]}}));
      std::vector<float> v(vectors[i].size() / sizeof(float));
      std::memcpy(v.data(), vectors[i].data(), v.size() * sizeof(float));
      added.emplace_back((*id)[0].Int(0), std::move(v));
    }
  }
  DAULAT_RETURN_IF_ERROR(internal::AddToIndex(**tx, *index, indexed));
  // A failed COMMIT may still have reached the disk (an fsync error): the
  // blob is kept either way, and `daulat doctor` removes it if unnamed.
  unnamed.named = true;
  DAULAT_RETURN_IF_ERROR((*tx)->Commit());
  UpdateVectors(tenant_id, removed, added);
  {
    std::lock_guard lock(cache_mu_);
    chunk_counts_.erase(tenant_id);
  }
  // The earlier version's original is named by nothing now; should this
  // fail or the process die here, `daulat doctor` finds it.
  if (replaces) (void)blobs_.Delete(tenant_id, replaced_blob);
  return d;
}

Result<std::vector<store::Row>> Library::VisibleDocument(store::StatementRunner& runner,
                                                         const Reader& reader,
                                                         const std::string& condition,
                                                         const std::string& collection,
                                                         const std::string& value) {
  std::vector<store::Value> params;
  const std::string visible = internal::Visible(reader, "d", params);
  params.emplace_back(collection);
  params.emplace_back(value);
  return store::TenantScope(runner, reader.tenant_id)
      .Query("SELECT " + internal::DocumentColumns() + " FROM kn_documents d WHERE " + visible +
                 " AND d.collection_id = ? AND " + condition +
                 " ORDER BY d.created_at DESC, d.version DESC LIMIT 1",
             params);
}

}  // namespace daulat::knowledge
