#include "knowledge/language_shift.h"

#include <cmath>
#include <set>

namespace daulat::knowledge {

namespace {

bool IsDetectedLanguage(const std::string& l) {
  return l == "ms" || l == "en" || l == "zh" || l == "ta";
}

}  // namespace

LanguageShift::LanguageShift(const VectorIndex& index, const std::vector<Chunk>& chunks)
    : built_from_(index.size()) {
  struct Sum {
    std::vector<double> sum;
    size_t n = 0;
    std::set<std::string> documents;
  };
  std::unordered_map<std::string, Sum> sums;
  for (const auto& c : chunks) {
    if (!c.public_to_tenant || !IsDetectedLanguage(c.language)) continue;
    const auto v = index.Get(c.id);
    if (v.empty()) continue;
    auto& s = sums[c.language];
    if (s.sum.empty()) s.sum.assign(v.size(), 0.0);
    if (s.sum.size() != v.size()) continue;
    for (size_t i = 0; i < v.size(); ++i) s.sum[i] += v[i];
    ++s.n;
    if (s.documents.size() < 2) s.documents.insert(c.document);
  }
  for (auto& [language, s] : sums) {
    if (s.n < kMinChunks || s.documents.size() < 2) continue;
    std::vector<float> mean(s.sum.size());
    for (size_t i = 0; i < s.sum.size(); ++i)
      mean[i] = static_cast<float>(s.sum[i] / static_cast<double>(s.n));
    mean_[language] = std::move(mean);
  }
  for (const auto& c : chunks) {
    if (mean_.count(c.language) > 0) language_of_[c.id] = c.language;
  }
}

double LanguageShift::Background(const std::vector<float>& query,
                                 const std::string& language) const {
  const auto it = mean_.find(language);
  if (it == mean_.end() || it->second.size() != query.size()) return 0;
  double dot = 0;
  for (size_t i = 0; i < query.size(); ++i) dot += static_cast<double>(query[i]) * it->second[i];
  return dot;
}

const std::string& LanguageShift::LanguageOf(int64_t chunk) const {
  static const std::string kUnknown;
  const auto it = language_of_.find(chunk);
  return it == language_of_.end() ? kUnknown : it->second;
}

std::unordered_map<std::string, std::vector<float>> LanguageShift::QueryPerLanguage(
    const std::vector<float>& query, const std::string& query_language) const {
  std::unordered_map<std::string, std::vector<float>> out = {{"", query}};
  const auto from = mean_.find(query_language);
  if (from == mean_.end() || from->second.size() != query.size()) return out;
  for (const auto& [language, to] : mean_) {
    if (language == query_language) {
      out[language] = query;
      continue;
    }
    std::vector<float> moved(query.size());
    double norm = 0;
    for (size_t i = 0; i < query.size(); ++i) {
      moved[i] = query[i] - from->second[i] + to[i];
      norm += static_cast<double>(moved[i]) * moved[i];
    }
    if (norm <= 0) continue;
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (auto& x : moved) x *= scale;
    out[language] = std::move(moved);
  }
  return out;
}

}  // namespace daulat::knowledge
