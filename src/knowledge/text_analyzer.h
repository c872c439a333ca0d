#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daulat::knowledge {

// Turns text into the terms the BM25 index stores and queries: Unicode word
// boundaries (ICU, with dictionary segmentation for Chinese), NFKC case
// folding, and for each word its stems, so that a query matches whatever
// the document's language:
//   Latin script:  the word, its English stem and its Indonesian stem (close
//                  to Malay: "menggunakan" -> "guna", "perundangan" -> "undang")
//   Tamil:         the word and its Tamil stem
//   Chinese:       the dictionary-segmented word
// Numbers are kept whole ("900101", "2026"). Punctuation and spaces are
// dropped. Deterministic; thread-safe (stemmers are per thread).
class TextAnalyzer {
 public:
  // Every term, in text order, stems following their word.
  static std::vector<std::string> Terms(std::string_view text);
  // Distinct terms of a query (stems included), for an OR query.
  static std::vector<std::string> QueryTerms(std::string_view text);
};

}  // namespace daulat::knowledge
