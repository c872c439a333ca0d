// Library: chunk vectors. SQLite (kn_vectors) holds them; each tenant's HNSW
// index is built from there on first use (or loaded from the index folder
// when its record matches the database), kept in step with every change, and
// saved when the library closes.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "common/sha256.h"
#include "knowledge/library.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {
namespace {

// Cosine similarity under which a vector match is noise (sentence-embedding
// models put unrelated sentences around 0..0.15).
constexpr double kMinSimilarity = 0.2;

// How often a loaded index is compared with the database for changes made by
// other processes.
constexpr auto kRecheck = std::chrono::seconds(2);

std::vector<float> FloatsOf(const std::string& bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

}  // namespace

Library::~Library() {
  (void)SaveVectorIndexes();
}

void Library::SetIndexDir(std::filesystem::path dir) {
  index_dir_ = std::move(dir);
}

std::filesystem::path Library::IndexFile(const std::string& tenant_id) const {
  return index_dir_ / ("hnsw_" + Sha256Hex(tenant_id + "\n" + embed_model_).substr(0, 24));
}

namespace {

// Order-free sums over the ids, kept up to date as ids come and go.
constexpr int64_t kP = 1000003;
int64_t IdSum(int64_t id) {
  return id % kP;
}
int64_t IdSquareSum(int64_t id) {
  return (id % kP) * (id % kP) % kP;
}

}  // namespace

Library::VectorRecord Library::RecordOf(const VectorIndex* index) {
  VectorRecord r;
  if (index == nullptr) return r;
  for (const int64_t id : index->Ids()) {
    ++r.count;
    r.sum = (r.sum + IdSum(id)) % kP;
    r.square_sum = (r.square_sum + IdSquareSum(id)) % kP;
  }
  return r;
}

std::string Library::VectorRecord::Text(const std::string& model) const {
  return nlohmann::json{
      {"model", model}, {"count", count}, {"sum", sum}, {"square_sum", square_sum}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Library::VectorRecord> Library::DatabaseVectorRecord(const std::string& tenant_id) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Query(
                      "SELECT COUNT(*), COALESCE(SUM(chunk_id % 1000003), 0), "
                      "COALESCE(SUM((chunk_id % 1000003) * (chunk_id % 1000003) % 1000003), 0) "
                      "FROM kn_vectors WHERE {tenant} AND model = ?",
                      {embed_model_});
  if (!rows.ok()) return rows.status();
  const auto& r = rows->front();
  return VectorRecord{r.Int(0), r.Int(1) % kP, r.Int(2) % kP};
}

Result<std::shared_ptr<VectorIndex>> Library::Vectors(const std::string& tenant_id) {
  std::lock_guard build(index_build_mu_);  // one build at a time, not twice for one tenant
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<VectorIndex> cached;
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = vectors_.find(tenant_id); it != vectors_.end()) {
      // Another process (the CLI, a second server) may have changed the
      // tenant's vectors: compared with the database every few seconds.
      if (now - it->second.checked < kRecheck) return it->second.index;
      it->second.checked = now;
      cached = it->second.index;
      if (!cached) vectors_.erase(it);
    }
  }
  auto record = DatabaseVectorRecord(tenant_id);
  if (!record.ok()) return record.status();
  if (cached) {
    if (RecordOf(cached.get()) == *record) return cached;
    DAULAT_RETURN_IF_ERROR(CatchUp(tenant_id, *cached));
    std::lock_guard lock(cache_mu_);
    if (auto it = vectors_.find(tenant_id); it != vectors_.end()) it->second.changed = true;
    return cached;
  }
  std::shared_ptr<VectorIndex> index;
  if (!index_dir_.empty()) {
    std::ifstream meta(IndexFile(tenant_id).string() + ".json");
    std::string saved((std::istreambuf_iterator<char>(meta)), std::istreambuf_iterator<char>());
    const auto j = nlohmann::json::parse(saved, nullptr, false);
    if (j.is_object() && j.value("record", "") == record->Text(embed_model_) &&
        j.value("dim", 0) > 0) {
      auto loaded = VectorIndex::Load(IndexFile(tenant_id), j.value("dim", size_t{0}));
      if (loaded.ok()) index = std::move(loaded).value();
    }
  }
  bool built = false;
  if (!index) {
    auto rows = store::TenantScope(db_, tenant_id)
                    .Select("kn_vectors", {"chunk_id", "vector"}, "model = ?", {embed_model_});
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      const auto v = FloatsOf(r.Text(1));
      if (!index) index = std::make_shared<VectorIndex>(v.size(), rows->size());
      DAULAT_RETURN_IF_ERROR(index->Add(r.Int(0), v));
    }
    built = index != nullptr;
  }
  std::lock_guard lock(cache_mu_);
  vectors_[tenant_id] = TenantVectors{index, built, now};
  return index;
}

Status Library::CatchUp(const std::string& tenant_id, VectorIndex& index) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Select("kn_vectors", {"chunk_id"}, "model = ?", {embed_model_});
  if (!rows.ok()) return rows.status();
  std::unordered_set<int64_t> in_db;
  for (const auto& r : *rows) in_db.insert(r.Int(0));
  for (const int64_t id : index.Ids()) {
    if (in_db.erase(id) == 0) index.Remove(id);  // erased elsewhere
  }
  std::vector<int64_t> missing(in_db.begin(), in_db.end());
  for (size_t at = 0; at < missing.size(); at += 500) {
    std::vector<store::Value> params = {embed_model_};
    std::string ids;
    for (size_t i = at; i < missing.size() && i < at + 500; ++i) {
      ids += ids.empty() ? "?" : ", ?";
      params.emplace_back(missing[i]);
    }
    auto added = store::TenantScope(db_, tenant_id)
                     .Select("kn_vectors", {"chunk_id", "vector"},
                             "model = ? AND chunk_id IN (" + ids + ")", params);
    if (!added.ok()) return added.status();
    for (const auto& r : *added) DAULAT_RETURN_IF_ERROR(index.Add(r.Int(0), FloatsOf(r.Text(1))));
  }
  return Status::Ok();
}

void Library::UpdateVectors(const std::string& tenant_id, const std::vector<int64_t>& removed,
                            const std::vector<std::pair<int64_t, std::vector<float>>>& added) {
  std::lock_guard lock(cache_mu_);
  const auto it = vectors_.find(tenant_id);
  if (it == vectors_.end()) return;  // not loaded: built from the database when first searched
  auto& entry = it->second;
  if (!entry.index && !added.empty())
    entry.index = std::make_shared<VectorIndex>(added.front().second.size());
  for (const int64_t id : removed) {
    if (entry.index) entry.index->Remove(id);
  }
  for (const auto& [id, v] : added) {
    if (!entry.index->Add(id, v).ok()) {  // a vector of another size: rebuild on use
      vectors_.erase(it);
      return;
    }
  }
  entry.changed = true;
}

Status Library::SaveVectorIndexes() {
  if (index_dir_.empty()) return Status::Ok();
  std::vector<std::pair<std::string, TenantVectors>> dirty;
  {
    std::lock_guard lock(cache_mu_);
    for (auto& [tenant, entry] : vectors_) {
      if (entry.changed && entry.index) dirty.emplace_back(tenant, entry);
      entry.changed = false;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(index_dir_, ec);
  if (ec) return Internal("cannot create " + index_dir_.string() + ": " + ec.message());
  // Each graph is saved with the record of what it holds (not of what the
  // database holds now: another process may have changed that since).
  for (const auto& [tenant, entry] : dirty) {
    DAULAT_RETURN_IF_ERROR(entry.index->Save(IndexFile(tenant)));
    std::ofstream meta(IndexFile(tenant).string() + ".json", std::ios::trunc);
    meta << nlohmann::json{{"record", RecordOf(entry.index.get()).Text(embed_model_)},
                           {"dim", entry.index->dim()}}
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!meta) return Internal("cannot write " + IndexFile(tenant).string() + ".json");
  }
  return Status::Ok();
}

std::shared_ptr<const LanguageShift> Library::ShiftFor(const std::string& tenant_id,
                                                       const VectorIndex& index) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mu_);
    if (const auto it = shifts_.find(tenant_id); it != shifts_.end()) {
      const size_t was = it->second.shift->built_from(), is = index.size();
      const size_t drift = was > is ? was - is : is - was;
      if (drift == 0 || (drift * 10 < was && now - it->second.built < std::chrono::seconds(10)))
        return it->second.shift;
    }
  }
  auto rows = store::TenantScope(db_, tenant_id)
                  .Query(
                      "SELECT c.chunk_id, d.language, c.document_id, c.classification_rank = 0 "
                      "AND c.acl = '' FROM kn_chunks c JOIN kn_documents d ON {tenant:d} AND "
                      "d.document_id = c.document_id WHERE {tenant:c}",
                      {});
  if (!rows.ok()) return nullptr;
  std::vector<LanguageShift::Chunk> chunks;
  chunks.reserve(rows->size());
  for (const auto& r : *rows) chunks.push_back({r.Int(0), r.Text(1), r.Text(2), r.Int(3) != 0});
  auto shift = std::make_shared<const LanguageShift>(index, chunks);
  std::lock_guard lock(cache_mu_);
  shifts_[tenant_id] = TenantShift{shift, now};
  return shift;
}

Result<std::vector<std::pair<int64_t, double>>> Library::VectorSearch(const Reader& reader,
                                                                      const SearchQuery& q,
                                                                      size_t n) {
  auto query = Embed(q.text, EmbedAs::kQuery);
  if (!query.ok()) return query.status();
  auto index = Vectors(reader.tenant_id);
  if (!index.ok()) return index.status();
  std::vector<std::pair<int64_t, double>> out;
  if (!*index || (*index)->size() == 0 || (*index)->dim() != query->size()) return out;
  // Each chunk is scored against the question as if asked in the chunk's
  // language (LanguageShift), so a passage in another language than the
  // question competes on its meaning, not on its language.
  const auto shift = ShiftFor(reader.tenant_id, **index);
  const std::string language = DetectLanguage(q.text);
  const auto asked = shift ? shift->QueryPerLanguage(*query, language)
                           : std::unordered_map<std::string, std::vector<float>>{{"", *query}};
  // Chunks of a language without a mean (or added since) take the question as it is.
  const std::string own = asked.count(language) > 0 ? language : "";
  const auto key_for = [&](int64_t id) -> const std::string& {
    if (!shift) return own;
    const std::string& l = shift->LanguageOf(id);
    return !l.empty() && asked.count(l) > 0 ? l : own;
  };
  // A chunk is scored against the question as it is, less the question's
  // similarity to the chunk's language mean (put on the scale of the
  // question's own language: a constant per search).
  std::unordered_map<std::string, double> offset;
  for (const auto& entry : asked) {
    const std::string& as = entry.first;
    offset[as] =
        shift && !as.empty() ? shift->Background(*query, own) - shift->Background(*query, as) : 0.0;
  }
  const auto similarity = [&query](const std::vector<float>& v) {
    double d = 0;
    for (size_t i = 0; i < v.size() && i < query->size(); ++i) d += (*query)[i] * v[i];
    return d;
  };
  // Approximate first: the nearest chunks of the whole tenant (for the
  // question in each language), then the reader's filter on those alone.
  // When too few pass, look wider; when the reader sees only a sliver,
  // score exactly what they may see.
  for (const size_t k : {std::max<size_t>(4 * n, 100), std::max<size_t>(16 * n, 1000)}) {
    if (q.exact_vectors) break;
    std::unordered_map<int64_t, double> found;
    bool exhausted = true;
    for (const auto& [as, v] : asked) {
      if (as.empty() && !own.empty()) continue;  // the same as the question's own language
      const auto near = (*index)->Nearest(v, k);
      exhausted =
          exhausted && (near.size() < k || (!near.empty() && near.back().second < kMinSimilarity));
      for (const auto& [id, sim] : near) {
        // Kept only when found by the question moved into the chunk's own
        // language, and scored against the question as it is.
        if (key_for(id) != as) continue;
        const double raw = as == own ? sim : similarity((*index)->Get(id));
        if (raw >= kMinSimilarity) found[id] = raw + offset[as];
      }
    }
    std::vector<std::pair<int64_t, double>> near(found.begin(), found.end());
    std::sort(near.begin(), near.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (near.empty()) return out;
    std::vector<store::Value> params;
    std::string sql = std::string("SELECT c.chunk_id FROM kn_chunks c ") +
                      internal::ById(db_.dialect()) + "WHERE " +
                      internal::Visible(reader, "c", params);
    if (!q.collection.empty()) {
      sql += " AND c.collection_id = ?";
      params.emplace_back(q.collection);
    }
    std::string ids;
    for (const auto& [id, sim] : near) {
      ids += ids.empty() ? "?" : ", ?";
      params.emplace_back(id);
    }
    auto rows = store::TenantScope(db_, reader.tenant_id)
                    .Query(sql + " AND c.chunk_id IN (" + ids + ")", params);
    if (!rows.ok()) return rows.status();
    std::set<int64_t> visible;
    for (const auto& r : *rows) visible.insert(r.Int(0));
    out.clear();
    for (const auto& p : near) {
      if (visible.count(p.first) > 0 && out.size() < n) out.push_back(p);
    }
    if (out.size() == n || exhausted) return out;
  }
  std::vector<store::Value> params;
  std::string sql =
      "SELECT c.chunk_id FROM kn_chunks c WHERE " + internal::Visible(reader, "c", params);
  if (!q.collection.empty()) {
    sql += " AND c.collection_id = ?";
    params.emplace_back(q.collection);
  }
  auto visible = store::TenantScope(db_, reader.tenant_id).Query(sql, params);
  if (!visible.ok()) return visible.status();
  out.clear();
  for (const auto& r : *visible) {
    const auto v = (*index)->Get(r.Int(0));
    if (v.size() != query->size()) continue;
    const double raw = similarity(v);
    // Nearest is not relevant: below this similarity a chunk is no match at all.
    if (raw >= kMinSimilarity) out.emplace_back(r.Int(0), raw + offset[key_for(r.Int(0))]);
  }
  const size_t keep = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    [](const auto& a, const auto& b) { return a.second > b.second; });
  out.resize(keep);
  return out;
}

}  // namespace daulat::knowledge
