#include "knowledge/language_shift.h"

#include <cmath>

namespace daulat::knowledge {

LanguageShift::LanguageShift(const VectorIndex& index,
                             const std::vector<std::pair<int64_t, std::string>>& languages)
    : built_from_(index.size()) {
  std::unordered_map<std::string, std::pair<std::vector<double>, size_t>> sums;
  for (const auto& [id, language] : languages) {
    const auto v = index.Get(id);
    if (v.empty() || language.empty()) continue;
    language_of_[id] = language;
    auto& [sum, n] = sums[language];
    if (sum.empty()) sum.assign(v.size(), 0.0);
    for (size_t i = 0; i < v.size(); ++i) sum[i] += v[i];
    ++n;
  }
  for (const auto& [language, sn] : sums) {
    const auto& [sum, n] = sn;
    if (n < kMinChunks) continue;
    std::vector<float> mean(sum.size());
    for (size_t i = 0; i < sum.size(); ++i)
      mean[i] = static_cast<float>(sum[i] / static_cast<double>(n));
    mean_[language] = std::move(mean);
  }
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
