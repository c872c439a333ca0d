#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "governance/pii_guard.h"

// Internal to the PII guard: what its recognisers share, and the numeric ones.
namespace daulat::governance::internal {

// Context words within 60 bytes before `start` (Malay and English), any case.
bool HasContext(std::string_view text, size_t start, std::initializer_list<std::string_view> words);

// Appends a finding for text[b, e) (view offsets), its score capped at 1.
void AddFinding(std::vector<PiiFinding>& out, PiiType type, size_t b, size_t e, double score,
                std::string why, std::string_view text);

// MyKad, payment cards, phones, SSM numbers and bank accounts in `text`
// (the normalised view), overlapping candidates included: the caller keeps
// the best of each overlap.
void FindNumericIdentifiers(std::string_view text, std::vector<PiiFinding>& out);

}  // namespace daulat::governance::internal
