#include <cctype>
#include <set>
#include <string>

#include "knowledge/library.h"

namespace daulat::knowledge {

std::string DetectLanguage(std::string_view text) {
  size_t han = 0, tamil = 0, letters = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (std::isalpha(c)) ++letters;
      ++i;
    } else if ((c >> 4) == 0xE && i + 2 < text.size()) {
      const uint32_t cp = ((c & 0x0Fu) << 12) |
                          ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
                          (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
      if (cp >= 0x4E00 && cp <= 0x9FFF) han += 3;
      if (cp >= 0x0B80 && cp <= 0x0BFF) tamil += 3;
      i += 3;
    } else {
      ++i;
    }
  }
  if (han > letters && han >= tamil) return "zh";
  if (tamil > letters) return "ta";
  static const std::set<std::string> kMalay = {
      "dan",   "yang", "di",    "untuk",  "ini",  "dengan", "ialah", "adalah",
      "tidak", "akan", "dalam", "kepada", "oleh", "atau",   "bagi",  "pada"};
  static const std::set<std::string> kEnglish = {"the",  "and",  "of",  "to", "is",   "in", "for",
                                                 "that", "with", "are", "be", "this", "on", "by"};
  int ms = 0, en = 0;
  std::string word;
  for (size_t i = 0; i <= text.size() && i < 200000; ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      ms += static_cast<int>(kMalay.count(word));
      en += static_cast<int>(kEnglish.count(word));
      word.clear();
    }
  }
  return ms >= en && ms > 0 ? "ms" : en > 0 ? "en" : "ms";
}

}  // namespace daulat::knowledge
