// Library: retrieval (BM25, vectors, reciprocal-rank fusion).

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>
#include <unordered_map>

#include "knowledge/library.h"
#include "knowledge/library_internal.h"
#include "knowledge/text_analyzer.h"

namespace daulat::knowledge {
namespace {

// In libraries of at least kPruneFrom chunks, query terms found in more than
// kCommonShare of them are left out of the match (the rarest one stays):
// near-universal terms add almost nothing to BM25 but would make nearly every
// chunk a candidate to score.
constexpr int64_t kPruneFrom = 5000;
constexpr double kCommonShare = 0.2;

}  // namespace

std::optional<Retrieval> ParseRetrieval(std::string_view name) {
  if (name == "auto") return Retrieval::kAuto;
  if (name == "bm25") return Retrieval::kText;
  if (name == "vector") return Retrieval::kVector;
  if (name == "hybrid") return Retrieval::kHybrid;
  return std::nullopt;
}

std::optional<Fusion> ParseFusion(std::string_view name) {
  if (name == "relative") return Fusion::kRelativeScore;
  if (name == "rrf") return Fusion::kReciprocalRank;
  return std::nullopt;
}

void Library::SetEmbedder(std::string model, EmbedFn embed,
                          std::function<size_t(std::string_view)> count_tokens) {
  // Vectors are recorded as made by the model and the passage recipe
  // (internal::PassageText), so vectors made another way — by another model,
  // or before passages carried their title — are re-embedded like a model change.
  embed_model_ = std::move(model) + internal::kPassageRecipe;
  embed_ = std::move(embed);
  count_tokens_ = std::move(count_tokens);
}

Result<std::vector<float>> Library::Embed(std::string_view text, EmbedAs as) {
  // Chunks are sized for 256 tokens; the cap keeps any input inside the model's window.
  std::string_view cut = text.substr(0, 1500);
  while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
    cut.remove_suffix(1);
  if (!cut.empty() && static_cast<unsigned char>(cut.back()) >= 0xC0) cut.remove_suffix(1);
  std::lock_guard lock(embed_mu_);
  return embed_(cut.empty() ? std::string_view(" ") : cut, as);
}

Result<std::vector<std::string>> Library::SelectiveTerms(const std::string& index,
                                                         const std::string& tenant_id,
                                                         const std::vector<std::string>& tokens) {
  int64_t chunks = 0;
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = chunk_counts_.find(tenant_id); it != chunk_counts_.end()) chunks = it->second;
  }
  if (chunks == 0) {
    auto rows = store::TenantScope(db_, tenant_id).Select("kn_chunks", {"COUNT(*)"});
    if (!rows.ok()) return rows.status();
    chunks = rows->front().Int(0);
    std::lock_guard lock(cache_mu_);
    chunk_counts_[tenant_id] = chunks;
  }
  if (chunks < kPruneFrom) return tokens;
  // Document frequencies cost a walk of each term's postings: they are kept
  // per tenant until the library has grown or shrunk by a tenth (pruning is
  // a heuristic; slightly old counts choose the same terms).
  std::unordered_map<std::string, int64_t> df;
  std::vector<std::string> unknown;
  {
    std::lock_guard lock(cache_mu_);
    auto& stats = term_stats_[tenant_id];
    if (std::abs(stats.chunks - chunks) * 10 > stats.chunks) stats = {chunks, {}};
    for (const auto& t : tokens) {
      if (auto it = stats.df.find(t); it != stats.df.end()) {
        df[t] = it->second;
      } else {
        unknown.push_back(t);
      }
    }
  }
  if (!unknown.empty()) {
    std::vector<store::Value> params;
    std::string in;
    for (const auto& t : unknown) {
      in += in.empty() ? "?" : ", ?";
      params.emplace_back(t);
      df[t] = 0;  // absent from the vocabulary: in no chunk
    }
    auto rows =
        db_.Query("SELECT term, doc FROM " + index + "_vocab WHERE term IN (" + in + ")", params);
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) df[r.Text(0)] = r.Int(1);
    std::lock_guard lock(cache_mu_);
    auto& stats = term_stats_[tenant_id];
    if (stats.df.size() > 100000) stats.df.clear();
    // A term in no chunk yet is asked again next time: cached as absent, a
    // document that brings it would stay unfindable until the library grew.
    for (const auto& t : unknown) {
      if (df[t] > 0) stats.df[t] = df[t];
    }
  }
  std::vector<std::pair<int64_t, std::string>> by_df;
  for (const auto& [term, n] : df) {
    if (n > 0) by_df.emplace_back(n, term);
  }
  std::sort(by_df.begin(), by_df.end());
  std::vector<std::string> out;
  for (const auto& [count, term] : by_df) {
    // A term in most chunks barely moves BM25 but makes every chunk a match.
    if (static_cast<double>(count) <= kCommonShare * static_cast<double>(chunks) || out.empty())
      out.push_back(term);
  }
  return out;
}

Result<std::vector<std::pair<int64_t, double>>> Library::TextSearch(const Reader& reader,
                                                                    const SearchQuery& q,
                                                                    size_t n) {
  std::vector<std::pair<int64_t, double>> out;
  std::vector<std::string> tokens;
  for (const auto& t : TextAnalyzer::QueryTerms(q.text)) {
    if (tokens.size() == 64) break;
    const std::string token = internal::TermToken(t);
    if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) tokens.push_back(token);
  }
  if (tokens.empty()) return out;
  auto index = IndexTable(reader.tenant_id);
  if (!index.ok()) return index.status();
  auto selective = SelectiveTerms(*index, reader.tenant_id, tokens);
  if (!selective.ok()) return selective.status();
  // No query term is in the library: nothing matches (an empty MATCH would
  // be an FTS5 syntax error).
  if (selective->empty()) return out;
  // First the best `depth` matches of the whole index, then the visibility
  // filter on those alone: when at least n of them are visible they are
  // exactly the reader's top n. Otherwise (a reader who sees little) the
  // filter runs inside the ranking over every match.
  const size_t depth = std::max<size_t>(4 * n, 200);
  for (const bool filter_first : {false, true}) {
    std::vector<store::Value> params;
    std::string ranked = internal::RankedMatches(db_.dialect(), *index, *selective, params);
    if (!filter_first) {
      ranked += " ORDER BY score LIMIT ?";
      params.emplace_back(static_cast<int64_t>(depth));
    }
    std::string sql = "SELECT c.chunk_id, f.score FROM (" + ranked +
                      ") f JOIN kn_chunks c ON c.chunk_id = f.id WHERE " +
                      internal::Visible(reader, "c", params);
    if (!q.collection.empty()) {
      sql += " AND c.collection_id = ?";
      params.emplace_back(q.collection);
    }
    sql += " ORDER BY f.score LIMIT ?";
    params.emplace_back(static_cast<int64_t>(n));
    auto rows = store::TenantScope(db_, reader.tenant_id).Query(sql, params);
    if (!rows.ok()) return rows.status();
    out.clear();
    for (const auto& r : *rows) out.emplace_back(r.Int(0), -r.Real(1));
    if (filter_first || out.size() == n) break;
    // Fewer than n visible among the best `depth`: exact only if the index had no more.
    std::vector<store::Value> count_params;
    const std::string count = internal::CountMatches(db_.dialect(), *index, *selective,
                                                     static_cast<int64_t>(depth) + 1, count_params);
    auto total = db_.Query(count, count_params);
    if (!total.ok()) return total.status();
    if (total->front().Int(0) <= static_cast<int64_t>(depth)) break;
  }
  return out;
}

namespace {

constexpr const char* kHitColumns =
    "SELECT c.chunk_id, c.document_id, d.title, c.collection_id, d.source_name, c.seq, c.text, "
    "c.heading_path, c.page, c.char_start, c.char_end, c.classification_rank FROM kn_chunks c ";
constexpr const char* kWithDocument =
    "JOIN kn_documents d ON {tenant:d} AND d.document_id = c.document_id WHERE ";

SearchHit HitFrom(const store::Row& r, double score) {
  SearchHit h;
  h.document_id = r.Text(1);
  h.document_title = r.Text(2);
  h.collection = r.Text(3);
  h.source_name = r.Text(4);
  h.chunk = r.Int(5);
  h.text = r.Text(6);
  h.heading_path = r.Text(7);
  h.page = static_cast<int>(r.Int(8));
  h.char_start = r.Int(9);
  h.char_end = r.Int(10);
  h.classification = ClassificationFromRank(r.Int(11));
  h.score = score;
  return h;
}

}  // namespace

Result<std::vector<SearchHit>> Library::HitsFor(
    const Reader& reader, const std::vector<std::pair<int64_t, double>>& ranked) {
  if (ranked.empty()) return std::vector<SearchHit>{};
  // One query for every ranked chunk (still filtered), then back into rank order.
  std::vector<store::Value> params;
  const std::string where = internal::Visible(reader, "c", params);
  std::string ids;
  for (const auto& [chunk_id, score] : ranked) {
    ids += ids.empty() ? "?" : ", ?";
    params.emplace_back(chunk_id);
  }
  auto rows = store::TenantScope(db_, reader.tenant_id)
                  .Query(std::string(kHitColumns) + internal::ById(db_.dialect()) + kWithDocument +
                             where + " AND c.chunk_id IN (" + ids + ")",
                         params);
  if (!rows.ok()) return rows.status();
  std::unordered_map<int64_t, const store::Row*> by_id;
  for (const auto& r : *rows) by_id[r.Int(0)] = &r;
  std::vector<SearchHit> out;
  for (const auto& [chunk_id, score] : ranked) {
    const auto it = by_id.find(chunk_id);
    if (it != by_id.end()) out.push_back(HitFrom(*it->second, score));
  }
  return out;
}

Result<Passages> Library::PassagesOf(const Reader& reader, const PassageScope& scope) {
  if (scope.document_id.empty() == scope.collection.empty())
    return InvalidArgument("give a document or a collection");
  if (scope.max_passages < 1) return InvalidArgument("max_passages is at least 1");
  std::vector<store::Value> params;
  std::string sql =
      std::string(kHitColumns) + kWithDocument + internal::Visible(reader, "c", params);
  if (!scope.document_id.empty()) {
    sql += " AND c.document_id = ?";
    params.emplace_back(scope.document_id);
  } else {
    sql += " AND c.collection_id = ?";
    params.emplace_back(scope.collection);
  }
  sql += " ORDER BY d.created_at, c.document_id, c.seq LIMIT ?";
  params.emplace_back(static_cast<int64_t>(scope.max_passages) + 1);
  auto rows = store::TenantScope(db_, reader.tenant_id).Query(sql, params);
  if (!rows.ok()) return rows.status();
  Passages out;
  for (const auto& r : *rows) {
    if (out.passages.size() == scope.max_passages) {
      out.truncated = true;
      break;
    }
    out.passages.push_back(HitFrom(r, 0));
  }
  if (out.passages.empty()) {
    if (!scope.document_id.empty()) {
      // A visible document without text is not the same as one the reader may not see.
      auto doc = GetDocument(reader, scope.document_id);
      if (!doc.ok()) return doc.status();
      return out;
    }
    auto collections = ListCollections(reader.tenant_id);
    if (!collections.ok()) return collections.status();
    if (std::none_of(collections->begin(), collections->end(),
                     [&](const CollectionInfo& c) { return c.id == scope.collection; }))
      return NotFound("no collection '" + scope.collection + "'");
  }
  return out;
}

namespace {

// The score a reader is shown for text and hybrid retrieval: from the rank
// alone (1.0 first, falling evenly to 1/n). BM25 weighs a term by how many
// passages of the whole index hold it, hidden ones included, so a raw score
// would tell a reader how often documents they may not see use a word.
Result<std::vector<SearchHit>> ScoredByRank(Result<std::vector<SearchHit>> hits) {
  if (!hits.ok()) return hits;
  const auto n = static_cast<double>(hits->size());
  for (size_t i = 0; i < hits->size(); ++i) (*hits)[i].score = (n - static_cast<double>(i)) / n;
  return hits;
}

// One ranking from the text and vector lists, best first.
std::vector<std::pair<int64_t, double>> Fused(const std::vector<std::pair<int64_t, double>>& text,
                                              const std::vector<std::pair<int64_t, double>>& vector,
                                              const SearchQuery& q) {
  std::unordered_map<int64_t, double> fused;
  if (q.fusion == Fusion::kReciprocalRank) {
    // Each list contributes 1 / (60 + rank).
    for (const auto* list : {&text, &vector}) {
      for (size_t rank = 0; rank < list->size(); ++rank)
        fused[(*list)[rank].first] += 1.0 / (60.0 + static_cast<double>(rank + 1));
    }
  } else {
    // Relative scores: each list's scores scaled to 0..1 between its lowest
    // and highest, then weighted (vector_weight). A strong match in one index keeps its
    // lead, where rank fusion lets middling matches found by both overtake it
    // (bench/rag: recall@5 0.98 against 0.91 for rank fusion).
    const double weight = std::clamp(q.vector_weight, 0.0, 1.0);
    for (const auto* list : {&text, &vector}) {
      if (list->empty()) continue;
      const double share = list == &vector ? weight : 1.0 - weight;
      double hi = list->front().second, lo = list->front().second;
      for (const auto& [id, score] : *list) {
        hi = std::max(hi, score);
        lo = std::min(lo, score);
      }
      for (const auto& [id, score] : *list)
        fused[id] += share * (hi > lo ? (score - lo) / (hi - lo) : 1.0);
    }
  }
  std::vector<std::pair<int64_t, double>> ranked(fused.begin(), fused.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return ranked;
}

}  // namespace

Result<double> Library::QuestionCoverage(const Reader& reader, std::string_view question,
                                         int64_t chunk_id) {
  auto top = HitsFor(reader, {{chunk_id, 0.0}});
  if (!top.ok()) return top.status();
  if (top->empty()) return 0.0;
  const auto asked = TextAnalyzer::QueryTerms(question);
  const std::set<std::string> want(asked.begin(), asked.end());
  const auto& h = top->front();
  const auto held =
      TextAnalyzer::QueryTerms(h.text + "\n" + h.heading_path + "\n" + h.document_title);
  const std::set<std::string> in(held.begin(), held.end());
  size_t hit = 0;
  for (const auto& t : want) hit += in.count(t);
  return want.empty() ? 0.0 : static_cast<double>(hit) / static_cast<double>(want.size());
}

Result<std::vector<SearchHit>> Library::Search(const Reader& reader, const SearchQuery& q) {
  if (q.text.empty() || q.text.size() > 4000) return InvalidArgument("a query is 1-4000 bytes");
  if (q.top_k < 1 || q.top_k > 100) return InvalidArgument("top_k is 1 to 100");
  if ((q.retrieval == Retrieval::kVector || q.retrieval == Retrieval::kHybrid) && !embed_)
    return InvalidArgument("vector retrieval needs an embedding model: none is installed");
  // Hybrid fuses the best 50 of each list; every mode ranks at least
  // kReplacedPlaces more than top_k, so a replaced document's passages can
  // make room for what ranks below them before the cut.
  const bool hybrid =
      q.retrieval == Retrieval::kHybrid || (q.retrieval == Retrieval::kAuto && embed_ != nullptr);
  const size_t depth = hybrid ? std::max<size_t>(50, q.top_k) : q.top_k + internal::kReplacedPlaces;
  auto ranked = q.retrieval == Retrieval::kVector ? VectorSearch(reader, q, depth)
                                                  : TextSearch(reader, q, depth);
  if (!ranked.ok()) return ranked.status();
  if (hybrid) {
    auto vector = VectorSearch(reader, q, depth);
    if (!vector.ok()) return vector.status();
    // The text list's share shrinks with how little of the question its best
    // match holds: a question in one language over passages in another
    // matches only common words in BM25, and at full share that list pulled
    // the vector list's cross-lingual finds down (bench/rag: cross-lingual
    // 0.710 -> 0.742; fusion no longer below the better list in any category).
    SearchQuery weighted = q;
    if (!ranked->empty() && q.fusion == Fusion::kRelativeScore) {
      auto coverage = QuestionCoverage(reader, q.text, ranked->front().first);
      if (!coverage.ok()) return coverage.status();
      weighted.vector_weight = 1.0 - (1.0 - std::clamp(q.vector_weight, 0.0, 1.0)) * *coverage;
    }
    ranked = Fused(*ranked, *vector, weighted);
  }
  auto replaced = RankReplacedLower(reader, q.text, q.top_k, *ranked);
  if (!replaced.ok()) return replaced.status();
  if (ranked->size() > q.top_k) ranked->resize(q.top_k);
  auto hits = HitsFor(reader, *ranked);
  if (q.retrieval != Retrieval::kVector) hits = ScoredByRank(std::move(hits));
  if (!hits.ok()) return hits;
  // A label names only a document among the hits: the reader may see it and
  // whoever reads these hits (the model, at these hits' level) reads it too.
  std::set<std::string> shown;
  for (const auto& h : *hits) shown.insert(h.document_id);
  for (auto& h : *hits) {
    const auto it = replaced->find(h.document_id);
    if (it == replaced->end() || shown.count(it->second.first) == 0) continue;
    h.replaced_by_document = it->second.first;
    h.replaced_by = it->second.second;
  }
  return hits;
}

}  // namespace daulat::knowledge
