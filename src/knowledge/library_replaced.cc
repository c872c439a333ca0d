// Library: a document that another one in the results says it replaces
// ranks below it (see replaced_documents.h).

#include <algorithm>
#include <map>
#include <set>

#include "knowledge/library.h"
#include "knowledge/library_internal.h"
#include "knowledge/replaced_documents.h"

namespace daulat::knowledge {
namespace {

// The first chunks hold what a document says it replaces.
constexpr int64_t kOpeningChunks = 3;
constexpr size_t kMaxCachedClaims = 20000;

// A circular names the one or two it replaces; a document that "replaces"
// more of the candidates is not believed at all.
constexpr size_t kMaxReplaced = 2;

struct RankedDocument {
  std::string collection, title, designation, acl;
  int64_t classification_rank = 0;
  std::vector<std::string> claims;
};

std::set<std::string> Groups(const std::string& acl) {
  std::set<std::string> out;
  std::string g;
  for (const char c : acl + " ") {
    if (c != ' ') {
      g += c;
    } else if (!g.empty()) {
      out.insert(std::move(g));
      g.clear();
    }
  }
  return out;
}

// Whether `newer` may be believed when it says it replaces `older`. Only
// within one collection, only a document at least as highly labelled and
// read by no one the old one's ACL excludes (so an uploader cannot mark a
// document above their clearance or outside their groups as replaced), and
// only under a name of its own (a copy titled with the old name replaces
// nothing).
bool MayReplace(const RankedDocument& newer, const RankedDocument& older) {
  if (newer.collection != older.collection || newer.designation == older.designation ||
      newer.classification_rank < older.classification_rank)
    return false;
  if (older.acl.empty()) return true;
  const auto may_read_old = Groups(older.acl);
  const auto may_read_new = Groups(newer.acl);
  return !may_read_new.empty() &&
         std::all_of(may_read_new.begin(), may_read_new.end(),
                     [&](const std::string& g) { return may_read_old.count(g) > 0; });
}

std::string InList(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace

Result<std::unordered_map<std::string, std::pair<std::string, std::string>>>
Library::RankReplacedLower(const Reader& reader, std::string_view question, size_t top_k,
                           std::vector<std::pair<int64_t, double>>& ranked) {
  std::unordered_map<std::string, std::pair<std::string, std::string>> replaced_by;
  // Only what can reach the top_k hits takes part, either way round.
  const size_t window = std::min(ranked.size(), top_k + internal::kReplacedPlaces);
  if (window < 2) return replaced_by;
  std::vector<store::Value> params;
  const std::string visible = internal::Visible(reader, "c", params);
  for (size_t i = 0; i < window; ++i) params.emplace_back(ranked[i].first);
  auto rows = store::TenantScope(db_, reader.tenant_id)
                  .Query(
                      "SELECT c.chunk_id, d.document_id, d.collection_id, d.title, d.version, "
                      "d.classification_rank, d.acl "
                      "FROM kn_chunks c " +
                          std::string(internal::ById(db_.dialect())) +
                          "JOIN kn_documents d ON {tenant:d} AND "
                          "d.document_id = c.document_id WHERE " +
                          visible + " AND c.chunk_id IN (" + InList(window) + ")",
                      params);
  if (!rows.ok()) return rows.status();
  std::unordered_map<int64_t, std::string> document_of;
  std::map<std::string, RankedDocument> documents;  // ordered: the same choice every time
  std::vector<std::string> unread;                  // documents whose claims are not cached
  for (const auto& r : *rows) {
    document_of[r.Int(0)] = r.Text(1);
    if (documents.count(r.Text(1)) > 0) continue;
    RankedDocument& d = documents[r.Text(1)];
    d.collection = r.Text(2);
    d.title = r.Text(3);
    d.designation = Designation(d.title);
    d.classification_rank = r.Int(5);
    d.acl = r.Text(6);
    std::lock_guard lock(cache_mu_);
    const auto it =
        claims_.find(reader.tenant_id + "/" + r.Text(1) + "@" + std::to_string(r.Int(4)));
    if (it == claims_.end()) {
      unread.push_back(r.Text(1));
    } else {
      d.claims = it->second;
    }
  }
  if (documents.size() < 2) return replaced_by;
  if (!unread.empty()) {
    // Only the opening chunks a reader may see: claims come from what they can read.
    std::vector<store::Value> p;
    std::string sql =
        "SELECT c.document_id, c.text, d.version FROM kn_chunks c JOIN kn_documents "
        "d ON {tenant:d} AND d.document_id = c.document_id WHERE " +
        internal::Visible(reader, "c", p) + " AND c.seq < ? AND c.document_id IN (" +
        InList(unread.size()) + ") ORDER BY c.document_id, c.seq";
    p.emplace_back(kOpeningChunks);
    for (const auto& id : unread) p.emplace_back(id);
    auto opening = store::TenantScope(db_, reader.tenant_id).Query(sql, p);
    if (!opening.ok()) return opening.status();
    std::unordered_map<std::string, std::pair<std::string, int64_t>> text;
    for (const auto& r : *opening) {
      auto& [t, version] = text[r.Text(0)];
      t += r.Text(1) + "\n";
      version = r.Int(2);
    }
    std::lock_guard lock(cache_mu_);
    if (claims_.size() > kMaxCachedClaims) claims_.clear();
    for (const auto& [id, t] : text) {
      documents[id].claims = ReplacementClaims(t.first);
      claims_[reader.tenant_id + "/" + id + "@" + std::to_string(t.second)] = documents[id].claims;
    }
  }
  for (const auto& [new_id, new_doc] : documents) {
    if (new_doc.claims.empty()) continue;
    std::vector<std::string> named;
    for (const auto& [old_id, old_doc] : documents) {
      if (old_id != new_id && ClaimsToReplace(new_doc.claims, old_doc.designation) &&
          MayReplace(new_doc, old_doc))
        named.push_back(old_id);
    }
    if (named.size() > kMaxReplaced) continue;
    for (const auto& old_id : named) {
      if (replaced_by.count(old_id) == 0 &&
          !AsksAboutReplaced(question, documents[old_id].designation, new_doc.designation))
        replaced_by[old_id] = {new_id, new_doc.title};
    }
  }
  if (replaced_by.empty()) return replaced_by;
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const bool old = replaced_by.count(document_of[ranked[i].first]) > 0;
    order.emplace_back(static_cast<double>(i) + (old ? internal::kReplacedPlaces + 0.5 : 0.0), i);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::pair<int64_t, double>> reordered;
  for (const auto& [key, i] : order) reordered.push_back(ranked[i]);
  ranked = std::move(reordered);
  return replaced_by;
}

}  // namespace daulat::knowledge
