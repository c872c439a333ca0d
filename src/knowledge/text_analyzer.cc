#include "knowledge/text_analyzer.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <memory>
#include <set>

namespace daulat::knowledge {
namespace {

struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
using Stemmer = std::unique_ptr<sb_stemmer, StemmerDeleter>;

// libstemmer objects are not thread-safe: one set per thread.
struct Stemmers {
  Stemmer english{sb_stemmer_new("english", "UTF_8")};
  Stemmer indonesian{sb_stemmer_new("indonesian", "UTF_8")};
  Stemmer tamil{sb_stemmer_new("tamil", "UTF_8")};
};

Stemmers& ThreadStemmers() {
  thread_local Stemmers stemmers;
  return stemmers;
}

std::string Stem(sb_stemmer* s, const std::string& word) {
  if (s == nullptr) return word;
  const sb_symbol* out = sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(word.data()),
                                         static_cast<int>(word.size()));
  if (out == nullptr) return word;
  return {reinterpret_cast<const char*>(out), static_cast<size_t>(sb_stemmer_length(s))};
}

enum class Script { kLatin, kTamil, kHan, kOther };

Script ScriptOf(const icu::UnicodeString& word) {
  UErrorCode status = U_ZERO_ERROR;
  for (int32_t i = 0; i < word.length();) {
    const UChar32 c = word.char32At(i);
    i += U16_LENGTH(c);
    if (!u_isalpha(c)) continue;
    const UScriptCode script = uscript_getScript(c, &status);
    if (script == USCRIPT_LATIN) return Script::kLatin;
    if (script == USCRIPT_TAMIL) return Script::kTamil;
    if (script == USCRIPT_HAN) return Script::kHan;
    return Script::kOther;
  }
  return Script::kOther;  // digits only
}

// Appends `word` and its stems to `out`.
void AddWord(const icu::UnicodeString& folded, std::vector<std::string>& out) {
  std::string word;
  folded.toUTF8String(word);
  out.push_back(word);
  auto& st = ThreadStemmers();
  switch (ScriptOf(folded)) {
    case Script::kLatin: {
      const std::string en = Stem(st.english.get(), word);
      const std::string id = Stem(st.indonesian.get(), word);
      if (en != word) out.push_back(en);
      if (id != word && id != en) out.push_back(id);
      break;
    }
    case Script::kTamil: {
      const std::string ta = Stem(st.tamil.get(), word);
      if (ta != word) out.push_back(ta);
      break;
    }
    default: break;
  }
}

}  // namespace

std::vector<std::string> TextAnalyzer::Terms(std::string_view text) {
  std::vector<std::string> out;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return out;
  const icu::UnicodeString input = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString normalized = nfkc_cf->normalize(input, status);
  if (U_FAILURE(status)) return out;
  thread_local std::unique_ptr<icu::BreakIterator> words;
  if (!words) {
    words.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status) || !words) return out;
  }
  words->setText(normalized);
  int32_t start = words->first();
  for (int32_t end = words->next(); end != icu::BreakIterator::DONE;
       start = end, end = words->next()) {
    // Rule status: letters, numbers, kana or ideographs; skip spaces and punctuation.
    if (words->getRuleStatus() == UBRK_WORD_NONE) continue;
    icu::UnicodeString word = normalized.tempSubStringBetween(start, end);
    if (word.length() > 64) continue;  // not a word: a hash, a run-on token
    AddWord(word, out);
  }
  return out;
}

std::vector<std::string> TextAnalyzer::QueryTerms(std::string_view text) {
  std::vector<std::string> terms = Terms(text);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto& t : terms) {
    if (seen.insert(t).second) out.push_back(std::move(t));
  }
  return out;
}

}  // namespace daulat::knowledge
