#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace daulat {

// Malaysian government classification ladder, lowest to highest. Documents carry
// a label; users, keys, models and backends carry the highest label they may
// see or process. Comparisons follow the ladder order.
enum class Classification {
  kTerbuka = 0,     // public
  kTerhad = 1,      // restricted
  kSulit = 2,       // confidential
  kRahsia = 3,      // secret
  kRahsiaBesar = 4  // top secret
};

// Accepts the Malay names and the English aliases, case-insensitively, with
// spaces, hyphens or underscores between words ("rahsia_besar", "Top Secret").
std::optional<Classification> ParseClassification(std::string_view text);

// The level stored as its ladder position (0..4); out-of-range values clamp
// to the nearest end, so a damaged row never reads as an unknown level.
Classification ClassificationFromRank(int64_t rank);

// The canonical Malay label, e.g. "RAHSIA BESAR".
std::string_view ClassificationName(Classification c);

}  // namespace daulat
