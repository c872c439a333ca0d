#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "knowledge/vector_index.h"

namespace daulat::knowledge {

// A multilingual embedding model places a text by its language as well as
// by its meaning: a Malay question lies nearer to unrelated Malay passages
// than to the English passage that answers it. The mean vector of a
// language's chunks is that language's place; moving the question from its
// language's mean to another's ("query - mean(ms) + mean(en)") asks the same
// thing as if it were written in that language (the centring of Libovicky
// et al., 2020, applied to the question only, so the index stays as it is).
// Immutable once built; shared by concurrent searches.
class LanguageShift {
 public:
  // `languages`: each chunk's document language. Languages with fewer than
  // kMinChunks vectors get no mean (too few to place them).
  static constexpr size_t kMinChunks = 8;
  LanguageShift(const VectorIndex& index,
                const std::vector<std::pair<int64_t, std::string>>& languages);

  size_t built_from() const { return built_from_; }  // the index's size when built
  // "" when the chunk was not in the index when this was built.
  const std::string& LanguageOf(int64_t chunk) const;
  // The question asked in each language that has a mean, as unit vectors;
  // the question as it is under its own language and under "" (chunks of
  // unknown language). Only {"", query} when the question's language has no
  // mean (nothing to move it from).
  std::unordered_map<std::string, std::vector<float>> QueryPerLanguage(
      const std::vector<float>& query, const std::string& query_language) const;

 private:
  size_t built_from_ = 0;
  std::unordered_map<int64_t, std::string> language_of_;
  std::unordered_map<std::string, std::vector<float>> mean_;
};

}  // namespace daulat::knowledge
