#include "knowledge/replaced_documents.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace daulat::knowledge {
namespace {

constexpr size_t kOpeningBytes = 8000;
constexpr size_t kMaxClaims = 8;
constexpr size_t kClaimWords = 24;
constexpr size_t kMaxWordBytes = 40;

// Lower-case words of letters and digits; every other byte separates words
// except inside a number ("3.30" stays one word). Non-ASCII bytes are kept,
// so Malay, Chinese and Tamil titles compare byte for byte.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool inside_number = (c == '.' || c == '/') && !word.empty() &&
                               std::isdigit(static_cast<unsigned char>(word.back())) &&
                               i + 1 < text.size() &&
                               std::isdigit(static_cast<unsigned char>(text[i + 1]));
    if (std::isalnum(c) || c >= 0x80 || inside_number) {
      // No real word is longer; a longer run is cut, so claims stay small.
      if (word.size() < kMaxWordBytes) word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::string Joined(const std::vector<std::string>& words, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < std::min(to, words.size()); ++i)
    out += (out.empty() ? "" : " ") + words[i];
  return out;
}

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::vector<std::string> ReplacementClaims(std::string_view opening_text) {
  // Active forms only: "is superseded by X" / "digantikan oleh X" name the
  // newer document after the cue, and would turn the claim around.
  static const std::set<std::string> kCues = {"replaces",     "supersedes", "revokes",
                                              "cancels",      "rescinds",   "membatalkan",
                                              "menggantikan", "memansuhkan"};
  const auto words = Words(opening_text.substr(0, kOpeningBytes));
  std::vector<std::string> claims;
  for (size_t i = 0; i < words.size() && claims.size() < kMaxClaims; ++i) {
    if (kCues.count(words[i]) == 0) continue;
    std::string claim = Joined(words, i + 1, i + 1 + kClaimWords);
    if (!claim.empty()) claims.push_back(std::move(claim));
  }
  return claims;
}

std::string Designation(std::string_view title) {
  // The name ends where the subject starts: at a colon or a spaced dash.
  size_t end = title.size();
  for (const std::string_view sep :
       {std::string_view(":"), std::string_view(" - "), std::string_view(" \xE2\x80\x93 "),
        std::string_view(" \xE2\x80\x94 ")})
    end = std::min(end, title.find(sep));
  const auto words = Words(title.substr(0, end));
  if (words.size() < 2 || words.size() > 16) return "";
  if (std::none_of(words.begin(), words.end(), [](const std::string& w) { return HasDigit(w); }))
    return "";
  return Joined(words, 0, words.size());
}

bool ClaimsToReplace(const std::vector<std::string>& claims, std::string_view designation) {
  if (designation.empty()) return false;
  const std::string needle = " " + std::string(designation) + " ";
  return std::any_of(claims.begin(), claims.end(), [&](const std::string& c) {
    return (" " + c + " ").find(needle) != std::string::npos;
  });
}

bool AsksAboutReplaced(std::string_view question, std::string_view replaced_designation,
                       std::string_view replacing_designation) {
  const auto asked = Words(question);
  const std::set<std::string> in_question(asked.begin(), asked.end());
  const auto newer = Words(replacing_designation);
  const std::set<std::string> in_newer(newer.begin(), newer.end());
  for (const auto& w : Words(replaced_designation)) {
    if (HasDigit(w) && in_newer.count(w) == 0 && in_question.count(w) > 0) return true;
  }
  return false;
}

}  // namespace daulat::knowledge
