#include "common/classification.h"

#include <array>
#include <cctype>
#include <utility>

namespace daulat {
namespace {

std::string Normalise(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '-' || c == '_' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(std::toupper(c)));
  }
  return out;
}

constexpr std::array<std::pair<std::string_view, Classification>, 10> kNames{{
    {"TERBUKA", Classification::kTerbuka},
    {"PUBLIC", Classification::kTerbuka},
    {"TERHAD", Classification::kTerhad},
    {"RESTRICTED", Classification::kTerhad},
    {"SULIT", Classification::kSulit},
    {"CONFIDENTIAL", Classification::kSulit},
    {"RAHSIA", Classification::kRahsia},
    {"SECRET", Classification::kRahsia},
    {"RAHSIA BESAR", Classification::kRahsiaBesar},
    {"TOP SECRET", Classification::kRahsiaBesar},
}};

}  // namespace

Classification ClassificationFromRank(int64_t rank) {
  return static_cast<Classification>(rank < 0 ? 0 : rank > 4 ? 4 : rank);
}

std::optional<Classification> ParseClassification(std::string_view text) {
  const std::string key = Normalise(text);
  for (const auto& [name, value] : kNames) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string_view ClassificationName(Classification c) {
  switch (c) {
    case Classification::kTerbuka: return "TERBUKA";
    case Classification::kTerhad: return "TERHAD";
    case Classification::kSulit: return "SULIT";
    case Classification::kRahsia: return "RAHSIA";
    case Classification::kRahsiaBesar: return "RAHSIA BESAR";
  }
  return "TERBUKA";
}

}  // namespace daulat
