#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daulat::knowledge {

// Circulars and SOPs say which earlier document they replace ("This circular
// replaces Finance Circular No. 3 of 2024", "Pekeliling ini membatalkan
// Pekeliling Pentadbiran Bilangan 5 Tahun 2024"). A civil servant asking
// what the rule is means the rule in force, so retrieval ranks a replaced
// document's passages below the replacing one's when both match.

// What a document's opening text says it replaces: the words after each
// active cue ("replaces", "supersedes", "revokes", "cancels", "rescinds",
// "membatalkan", "menggantikan", "memansuhkan"; not "is replaced by"),
// normalised (lower case, letters and digits, single spaces, words cut at
// 40 bytes), one claim per cue, at most 8 claims of 24 words from the first
// 8,000 bytes.
std::vector<std::string> ReplacementClaims(std::string_view opening_text);

// The part of a title that names a document rather than its subject ("Finance
// Circular No. 3 of 2024" of "Finance Circular No. 3 of 2024: Claims for
// Official Travel"), normalised as the claims are. Empty unless it has two
// words or more and a number: "Guidelines" alone identifies nothing.
std::string Designation(std::string_view title);

// Whether one of the claims names this designation, word for word.
bool ClaimsToReplace(const std::vector<std::string>& claims, std::string_view designation);

// Whether the question names the replaced document itself: a number of its
// designation that the replacing one's lacks ("under the 2024 circular").
// Then the old document is what is asked about and keeps its rank.
bool AsksAboutReplaced(std::string_view question, std::string_view replaced_designation,
                       std::string_view replacing_designation);

}  // namespace daulat::knowledge
