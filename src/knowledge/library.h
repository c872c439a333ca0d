#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "knowledge/chunker.h"
#include "knowledge/document_parser.h"
#include "knowledge/language_shift.h"
#include "knowledge/vector_index.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/listing.h"

namespace daulat::knowledge {

struct CollectionInfo {
  std::string id, name, description;
  int64_t created_at = 0;
  int64_t documents = 0;
};

// How a document enters a collection.
struct DocumentOptions {
  std::string collection;
  std::string source_name;  // the file name: documents with the same name are versions
  std::string title;        // default: from the document, else the file name
  Classification classification = Classification::kTerbuka;  // mandatory in the API and CLI
  std::vector<std::string>
      acl;               // groups that may read it; empty = everyone in the tenant (with clearance)
  std::string language;  // a language tag ("ms", "en", "zh", "ta"); empty = detected
  std::string actor;     // who added it, for the record
  ChunkOptions chunking;
  ParseLimits limits;
};

struct DocumentInfo {
  std::string id, collection, title, source_name, format, language;
  Classification classification = Classification::kTerbuka;
  std::vector<std::string> acl;
  std::string content_hash;  // "sha256:<hex>" of the original bytes
  int64_t version = 1, size_bytes = 0, pages = 0, chunks = 0, created_at = 0;
  std::string created_by;
  std::vector<int> pages_without_text;  // no text even after OCR
  std::vector<int> ocr_pages;           // read by OCR (reported when added, not stored)
  bool duplicate = false;               // the same bytes were already in the collection
};

// A language tag as BCP 47 writes the common ones: a 2-3 letter primary
// language, then up to three subtags of 2-8 letters or digits ("ms",
// "zh-Hant", "ta-MY"). Others are refused, not stored: a document's tag
// decides which language mean its passages join.
bool IsLanguageTag(std::string_view tag);
inline constexpr const char* kLanguageTagRule =
    "'language' is a language tag such as ms, en, zh or ta (or zh-Hant, ta-MY)";

// Who is reading (or uploading): retrieval filters by all three inside the query.
struct Reader {
  std::string tenant_id;
  Classification clearance = Classification::kTerbuka;
  std::vector<std::string> groups;
  // The operator at the command line, who holds the database itself: ACLs
  // hide nothing from it. Never set for a request.
  bool every_group = false;
};
inline Reader OperatorReader(std::string tenant_id) {
  return {std::move(tenant_id), Classification::kRahsiaBesar, {}, true};
}

// Which index ranks the passages: both fused (hybrid, the default when an
// embedding model is installed, else BM25 alone), or one of them.
enum class Retrieval { kAuto, kText, kVector, kHybrid };

// How hybrid search merges the two rankings: each list's scores scaled to
// 0..1 and weighted (the default; SearchQuery::vector_weight), or reciprocal ranks (k = 60), kept
// to compare them in bench/rag.
enum class Fusion { kRelativeScore, kReciprocalRank };

// "hybrid", "bm25", "vector" (also "auto").
std::optional<Retrieval> ParseRetrieval(std::string_view name);
// "relative" or "rrf".
std::optional<Fusion> ParseFusion(std::string_view name);

// With multilingual-e5-small the vector list is the stronger one: on
// bench/rag's 154 questions an even share let BM25 lists that matched only
// common words push cross-lingual answers out (recall@5 0.705 against 0.787
// at 0.8). See docs/lumin.md.
inline constexpr double kDefaultVectorWeight = 0.8;

struct SearchQuery {
  std::string text;
  std::string collection;  // empty: every collection
  size_t top_k = 10;       // 1..100
  Retrieval retrieval = Retrieval::kAuto;
  Fusion fusion = Fusion::kRelativeScore;
  // Relative-score fusion: the vector list's share (the text list has the
  // rest), tuned on bench/rag (see docs/lumin.md). 0..1.
  double vector_weight = kDefaultVectorWeight;
  // Score every visible vector instead of asking the approximate index
  // first: the reference the index is measured against (bench/ingest).
  bool exact_vectors = false;
};

struct SearchHit {
  std::string document_id, document_title, collection, source_name;
  int64_t chunk = 0;  // position of the chunk in its document
  std::string text, heading_path;
  int page = 0;
  int64_t char_start = 0, char_end = 0;
  Classification classification = Classification::kTerbuka;
  // Higher is better: cosine similarity for vector retrieval; otherwise from
  // the rank (1.0 first, falling evenly), never raw BM25 (see Search).
  double score = 0;
  // The title and id of another document among the same hits, of the same
  // collection, that says it replaces this one; empty when none does.
  std::string replaced_by, replaced_by_document;
};

// Which passages to read whole, in document order (summaries): one document
// or every document of a collection the reader may see.
struct PassageScope {
  std::string document_id;
  std::string collection;
  size_t max_passages = 400;
};

struct Passages {
  std::vector<SearchHit> passages;  // document order; score 0
  bool truncated = false;           // there were more than max_passages
};

// Lumin's document library: collections, documents with their original bytes
// (encrypted in the blob store), structure-following chunks and a BM25 text
// index, per tenant. Every read filters by the reader's tenant, clearance and
// ACL groups inside the query, so nothing the reader may not see is ever
// retrieved, counted or ranked. Thread-safe.
//
// The text index holds each chunk's analysed terms (TextAnalyzer), hashed to
// opaque tokens, in one SQLite FTS5 table per tenant, so BM25 statistics never
// mix tenants.
class Library {
 public:
  // What a text is embedded as: models trained with instructions (E5) mark
  // queries and passages differently.
  enum class EmbedAs { kQuery, kPassage };
  using EmbedFn = std::function<Result<std::vector<float>>(std::string_view, EmbedAs)>;
  static Result<std::unique_ptr<Library>> Open(store::Database& db, store::BlobStore& blobs);

  // With an embedding model, documents added from now on get one vector per
  // chunk and search becomes hybrid: BM25 and exact cosine similarity over
  // the vectors the reader may see, fused (see Fusion).
  // Without one, search is BM25 alone and says so. `embed` must be callable
  // from any thread (the library serialises calls). Set before serving.
  // `count_tokens` (the embedding model's tokenizer) sizes chunks when the
  // caller's ChunkOptions bring no counter of their own, so no chunk is
  // longer than the model reads.
  void SetEmbedder(std::string model, EmbedFn embed,
                   std::function<size_t(std::string_view)> count_tokens = nullptr);
  // "hybrid" or "bm25".
  std::string retrieval() const { return embed_ ? "hybrid" : "bm25"; }
  // What a query asking for `r` is ranked by: "hybrid", "bm25" or "vector".
  std::string RetrievalFor(Retrieval r) const {
    if (r == Retrieval::kAuto) return retrieval();
    return r == Retrieval::kText ? "bm25" : r == Retrieval::kVector ? "vector" : "hybrid";
  }

  // Collection ids: 1-64 of [a-z0-9_-]. FAILED_PRECONDITION if it exists.
  Status CreateCollection(const std::string& tenant_id, const std::string& id,
                          const std::string& name, const std::string& description);
  Result<std::vector<CollectionInfo>> ListCollections(const std::string& tenant_id);

  // Parses, chunks, indexes and stores a document for `uploader`. The same
  // bytes in the same collection return the existing document (duplicate =
  // true); a new file under an existing source name replaces it as the next
  // version. Both consider only documents the uploader may see: beside a
  // hidden document of the same name or bytes the upload is a separate
  // document, and the answer tells nothing of the hidden one.
  // PERMISSION_DENIED above the uploader's clearance; NOT_FOUND for an
  // unknown collection; the parser's errors otherwise.
  Result<DocumentInfo> AddDocument(const Reader& uploader, std::string_view bytes,
                                   const DocumentOptions& options);
  // AddDocument's clearance rule alone, to refuse a batch before it is queued.
  static Status MayUpload(const Reader& uploader, const DocumentOptions& options);
  // The documents the reader may see (of one collection, or of all when
  // `collection` is empty), newest first, a page at a time; the cursor is a
  // store::TimeCursor. INVALID_ARGUMENT for a bad page size or cursor.
  Result<store::Page<DocumentInfo>> ListDocuments(const Reader& reader,
                                                  const std::string& collection,
                                                  const store::PageRequest& page);
  // NOT_FOUND also when the reader may not see it.
  Result<DocumentInfo> GetDocument(const Reader& reader, const std::string& id);
  // Whether the reader may see the document now; false when it is gone or
  // the check fails (a stored answer drawn from it stays hidden).
  bool MaySee(const Reader& reader, const std::string& id) { return GetDocument(reader, id).ok(); }
  Result<std::string> OriginalBytes(const Reader& reader, const std::string& id);
  // Deletes the document, its chunks, index entries and original bytes, then
  // runs every erase hook (answers and job entries derived from it).
  Status DeleteDocument(const Reader& reader, const std::string& id);
  // What else must forget an erased document (tenant, document id). Set
  // before serving; not thread-safe with DeleteDocument.
  using EraseHook = std::function<Status(const std::string&, const std::string&)>;
  void AddEraseHook(EraseHook hook) { erase_hooks_.push_back(std::move(hook)); }

  Result<std::vector<SearchHit>> Search(const Reader& reader, const SearchQuery& query);
  // Where each tenant's vector index is saved (when the library closes) and
  // loaded from, when its record still matches the database; without one the
  // indexes are rebuilt from the database on first use.
  void SetIndexDir(std::filesystem::path dir);
  // Embeds every chunk of the tenant that has no vector from the current
  // embedding model (documents added before it was installed, or under
  // another model); returns how many. FAILED_PRECONDITION without a model;
  // CANCELLED when `stop` is set (checked between batches of 64; the batches
  // done stay embedded).
  Result<size_t> AddMissingVectors(const std::string& tenant_id,
                                   const std::function<void(size_t, size_t)>& progress = nullptr,
                                   const std::atomic<bool>* stop = nullptr);
  Status SaveVectorIndexes();
  ~Library();
  // The passages of a document or collection the reader may see, in order.
  // NOT_FOUND for a document the reader may not see or an unknown collection.
  Result<Passages> PassagesOf(const Reader& reader, const PassageScope& scope);

 private:
  Library(store::Database& db, store::BlobStore& blobs) : db_(db), blobs_(blobs) {}
  // Creates the tenant's index table if needed; returns its name.
  Result<std::string> IndexTable(const std::string& tenant_id);
  // The document if the reader may see it (NOT_FOUND otherwise), read through `runner`.
  Result<DocumentInfo> DocumentFor(store::StatementRunner& runner, const Reader& reader,
                                   const std::string& id);
  // The blob holding the document's current original.
  Result<std::string> BlobOf(store::StatementRunner& runner, const std::string& tenant_id,
                             const std::string& document_id);
  Result<std::vector<float>> Embed(std::string_view text, EmbedAs as);
  // The newest document of `collection` the reader may see whose
  // `condition` (on alias d, one `?` bound to `value`) holds: 0 or 1 rows.
  Result<std::vector<store::Row>> VisibleDocument(store::StatementRunner& runner,
                                                  const Reader& reader,
                                                  const std::string& condition,
                                                  const std::string& collection,
                                                  const std::string& value);
  // chunk id -> similarity for the reader's visible chunks, best first.
  Result<std::vector<std::pair<int64_t, double>>> VectorSearch(const Reader& reader,
                                                               const SearchQuery& q, size_t n);
  // The query's index tokens worth matching (see kPruneFrom).
  Result<std::vector<std::string>> SelectiveTerms(const std::string& index,
                                                  const std::string& tenant_id,
                                                  const std::vector<std::string>& tokens);
  Result<std::vector<std::pair<int64_t, double>>> TextSearch(const Reader& reader,
                                                             const SearchQuery& q, size_t n);
  Result<std::vector<SearchHit>> HitsFor(const Reader& reader,
                                         const std::vector<std::pair<int64_t, double>>& ranked);
  // The share of the question's terms that a chunk (with its headings and
  // title) holds, 0..1.
  Result<double> QuestionCoverage(const Reader& reader, std::string_view question,
                                  int64_t chunk_id);
  // Moves the chunks of a document that another ranked document of its
  // collection says it replaces kReplacedPlaces places down (unless the
  // question names the old one), among the first top_k + kReplacedPlaces;
  // returns old document id -> (replacing document id, its title).
  Result<std::unordered_map<std::string, std::pair<std::string, std::string>>> RankReplacedLower(
      const Reader& reader, std::string_view question, size_t top_k,
      std::vector<std::pair<int64_t, double>>& ranked);
  // What each document's opening says it replaces, by "document_id@version".
  std::unordered_map<std::string, std::vector<std::string>> claims_;  // GUARDED_BY(cache_mu_)
  // The tenant's vector index (null without vectors), loaded once and kept
  // in step with changes.
  Result<std::shared_ptr<VectorIndex>> Vectors(const std::string& tenant_id);
  void UpdateVectors(const std::string& tenant_id, const std::vector<int64_t>& removed,
                     const std::vector<std::pair<int64_t, std::vector<float>>>& added);
  // What a tenant's vectors are (model, count, order-free sums of the ids),
  // to tell whether a saved graph holds what the database does.
  struct VectorRecord {
    int64_t count = 0, sum = 0, square_sum = 0;
    std::string Text(const std::string& model) const;
    bool operator==(const VectorRecord&) const = default;
  };
  Result<VectorRecord> DatabaseVectorRecord(const std::string& tenant_id);
  static VectorRecord RecordOf(const VectorIndex* index);
  // Brings a loaded index level with the database (vectors another process
  // added or erased).
  Status CatchUp(const std::string& tenant_id, VectorIndex& index);
  std::filesystem::path IndexFile(const std::string& tenant_id) const;

  store::Database& db_;
  store::BlobStore& blobs_;
  std::string embed_model_;
  EmbedFn embed_;
  std::function<size_t(std::string_view)> count_tokens_;
  std::mutex embed_mu_;  // one embedding at a time
  std::vector<EraseHook> erase_hooks_;
  std::filesystem::path index_dir_;
  struct TenantVectors {
    std::shared_ptr<VectorIndex> index;
    bool changed = false;                           // differs from the saved file
    std::chrono::steady_clock::time_point checked;  // last compared with the database
  };
  std::mutex index_build_mu_;                               // one index load or build at a time
  std::mutex cache_mu_;                                     // the per-tenant caches below
  std::unordered_map<std::string, TenantVectors> vectors_;  // GUARDED_BY(cache_mu_)
  struct TenantShift {
    std::shared_ptr<const LanguageShift> shift;
    std::chrono::steady_clock::time_point built;
  };
  std::unordered_map<std::string, TenantShift> shifts_;  // GUARDED_BY(cache_mu_)
  // The tenant's language means over `index`, rebuilt when the index has
  // changed (at once by a tenth, else after 10 s); null when unavailable.
  std::shared_ptr<const LanguageShift> ShiftFor(const std::string& tenant_id,
                                                const VectorIndex& index);
  struct TermStats {
    int64_t chunks = 0;                           // the library's size when counted
    std::unordered_map<std::string, int64_t> df;  // index token -> chunks holding it
  };
  std::unordered_map<std::string, TermStats> term_stats_;  // GUARDED_BY(cache_mu_)
  // Chunks per tenant; dropped on every change, counted again on use.
  std::unordered_map<std::string, int64_t> chunk_counts_;  // GUARDED_BY(cache_mu_)
  // Text index tables known to exist (nothing drops them).
  std::set<std::string> text_indexes_;  // GUARDED_BY(cache_mu_)
};

// "ms", "en", "zh", "ta" from the text's script and common words.
std::string DetectLanguage(std::string_view text);

}  // namespace daulat::knowledge
