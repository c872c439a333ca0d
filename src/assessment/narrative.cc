#include "assessment/narrative.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "assessment/report.h"

namespace daulat::assessment {
std::optional<std::pair<std::string, std::string>> NarrativePrompt(const nlohmann::json& s,
                                                                   int attempt) {
  // Small models answer a question more reliably than they follow an
  // instruction; the second attempt asks differently.
  static const std::array<std::pair<const char*, const char*>, 2> kAsk = {{
      {"\nWhat is the state of this organisation's AI readiness?",
       "\nApakah tahap kesediaan AI organisasi ini?"},
      {"\nSummary:", "\nRingkasan:"},
  }};
  if (attempt < 0 || attempt >= static_cast<int>(kAsk.size())) return std::nullopt;
  const bool ms = s.value("language", "en") == "ms";
  std::string facts = (ms ? "Skor keseluruhan: " : "Overall score: ") +
                      OneDecimal(s.value("overall", 0.0)) + " / 100 (" +
                      s["tier"].value("title", "") + ")\n";
  for (const auto& p : s["pillars"])
    facts += "- " + p.value("title", "") + ": " + OneDecimal(p.value("score", 0.0)) + "\n";
  for (const auto& g : s["gates"]) {
    if (g.value("status", "") != "met")
      facts += (ms ? "Kewajipan belum dipenuhi: " : "Obligation not met: ") + g.value("title", "") +
               "\n";
  }
  int n = 0;
  for (const auto& g : s["gaps"]) {
    if (++n > 5) break;
    facts += (ms ? "Jurang: " : "Gap: ") + g.value("text", "") + "\n";
  }
  const std::string system =
      ms ? "Anda menulis ringkasan eksekutif yang ringkas dan tepat tentang kesediaan AI sesebuah "
           "organisasi. Gunakan hanya fakta yang diberi. Tulis satu perenggan dalam Bahasa Melayu."
         : "You write short, accurate executive summaries of an organisation's AI readiness. Use "
           "only the facts given. Write one paragraph in English.";
  const auto& ask = kAsk[static_cast<size_t>(attempt)];
  return std::make_pair(system,
                        (ms ? "Fakta:\n" : "Facts:\n") + facts + (ms ? ask.second : ask.first));
}

std::vector<double> NumbersIn(std::string_view text) {
  std::vector<double> out;
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::string number;
    // "1,250.5": separators count only between digits.
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) ||
                               ((text[i] == '.' || text[i] == ',') && i + 1 < text.size() &&
                                std::isdigit(static_cast<unsigned char>(text[i + 1]))))) {
      if (text[i] != ',') number += text[i];
      ++i;
    }
    out.push_back(std::strtod(number.c_str(), nullptr));
  }
  return out;
}

bool UsableNarrative(const std::string& text, const std::string& prompt) {
  const auto b = text.find_first_not_of(" \n\t");
  if (b == std::string::npos) return false;
  const std::string t = text.substr(b, text.find_last_not_of(" \n\t") - b + 1);
  if (t.size() < 20 || prompt.find(t) != std::string::npos) return false;  // an echo
  // Every number it states is one it was given (scores, levels): a small
  // model misreads "62.5" as "65" or invents a year. Small whole numbers
  // pass, as counts ("three of five pillars").
  const auto given = NumbersIn(prompt);
  for (const double n : NumbersIn(t)) {
    if (n <= 10 && n == std::floor(n)) continue;
    if (std::none_of(given.begin(), given.end(), [n](double g) { return std::fabs(g - n) < 1e-9; }))
      return false;
  }
  return true;
}

}  // namespace daulat::assessment
