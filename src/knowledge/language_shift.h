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
// language's chunks is that language's place. Two uses:
//  - finding: the question moved from its language's mean to another's
//    ("query - mean(ms) + mean(en)") is searched in the index, so the other
//    language's nearest chunks are among the candidates;
//  - scoring: a chunk's similarity to the question less the question's
//    similarity to the chunk's language mean (the background every chunk of
//    that language shares), so languages compete on meaning. A chunk is
//    never scored against the moved question: a small group of near-identical
//    chunks would then match every question (their mean is themselves).
// Means come only from chunks every member of the tenant may read (TERBUKA,
// no ACL), of the four languages daulat detects, with at least kMinChunks
// chunks from at least two documents: nothing hidden shapes them, and an
// uploader's tag cannot make a language of their own.
// Immutable once built; shared by concurrent searches.
class LanguageShift {
 public:
  static constexpr size_t kMinChunks = 8;
  struct Chunk {
    int64_t id;
    std::string language;  // its document's
    std::string document;
    bool public_to_tenant;  // TERBUKA and no ACL
  };
  LanguageShift(const VectorIndex& index, const std::vector<Chunk>& chunks);

  size_t built_from() const { return built_from_; }  // the index's size when built
  // "" when the chunk was not in the index when this was built, or its
  // language has no mean.
  const std::string& LanguageOf(int64_t chunk) const;
  // The question moved into each language that has a mean, as unit vectors;
  // under "" (and under its own language) the question as it is. Only {"",
  // query} when the question's language has no mean.
  std::unordered_map<std::string, std::vector<float>> QueryPerLanguage(
      const std::vector<float>& query, const std::string& query_language) const;
  // The question's similarity to a language's mean; 0 for one without.
  double Background(const std::vector<float>& query, const std::string& language) const;

 private:
  size_t built_from_ = 0;
  std::unordered_map<int64_t, std::string> language_of_;
  std::unordered_map<std::string, std::vector<float>> mean_;
};

}  // namespace daulat::knowledge
