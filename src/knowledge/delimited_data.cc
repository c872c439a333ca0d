#include "knowledge/delimited_data.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

namespace daulat::knowledge {
namespace {

constexpr int32_t kLongestFiller = 32;  // code points between a bracket and a name
constexpr int32_t kLongestName = 24;    // code points of a name, invisible ones included

// One code point of `text` at `pos` (U+FFFD for a malformed byte) and its length.
struct CodePoint {
  UChar32 c;
  int32_t length;
};
CodePoint At(std::string_view text, size_t pos) {
  int32_t i = 0;
  UChar32 c = 0;
  const auto rest = static_cast<int32_t>(std::min<size_t>(text.size() - pos, 4));
  U8_NEXT(reinterpret_cast<const uint8_t*>(text.data() + pos), i, rest, c);
  return {c < 0 ? 0xFFFD : c, i};
}

bool IsBracket(UChar32 c) {
  static constexpr std::array<UChar32, 11> kBrackets = {'<',
                                                        0xFF1C /* ＜ */,
                                                        0xFE64 /* ﹤ */,
                                                        0x2039 /* ‹ */,
                                                        0x3008 /* 〈 */,
                                                        0x2329 /* 〈 */,
                                                        0x27E8 /* ⟨ */,
                                                        0x276E /* ❮ */,
                                                        0x02C2 /* ˂ */,
                                                        0x1438 /* ᐸ */,
                                                        0x29FC /* ⧼ */};
  return std::find(kBrackets.begin(), kBrackets.end(), c) != kBrackets.end();
}

bool IsSlash(UChar32 c) {
  static constexpr std::array<UChar32, 7> kSlashes = {'/',    0x2215, 0xFF0F, 0x2044,
                                                      0x29F8, 0x2571, 0x1735};
  return std::find(kSlashes.begin(), kSlashes.end(), c) != kSlashes.end();
}

bool IsInvisible(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) != 0 ||
         u_charType(c) == U_NON_SPACING_MARK || u_charType(c) == U_ENCLOSING_MARK;
}

// What stands between '<' and a tag's name: spaces, slashes, invisible characters.
bool IsFiller(UChar32 c) {
  return IsSlash(c) || IsInvisible(c) || u_isUWhiteSpace(c) != 0;
}

// ICU's confusable skeleton (UTS #39) of a case-folded NFKC text: the same
// for "source", "SOURCE", "ｓｏｕｒｃｅ" and "ѕоurсе" (Cyrillic letters).
class NameReader {
 public:
  NameReader() {
    UErrorCode status = U_ZERO_ERROR;
    fold_ = icu::Normalizer2::getNFKCCasefoldInstance(status);
    spoof_.reset(uspoof_open(&status));
    if (U_FAILURE(status)) {
      fold_ = nullptr;
      spoof_.reset();
      return;
    }
    for (const char* name : {"source", "notes"}) names_.push_back(Skeleton(name));
  }
  // Whether `word` (letters, invisible characters dropped) reads as a name of ours.
  bool IsDelimiterName(const icu::UnicodeString& word) const {
    const icu::UnicodeString skeleton = Skeleton(word);
    return std::any_of(names_.begin(), names_.end(), [&](const icu::UnicodeString& n) {
      return !n.isEmpty() && skeleton.startsWith(n);
    });
  }

 private:
  icu::UnicodeString Skeleton(const icu::UnicodeString& text) const {
    if (fold_ == nullptr || !spoof_) return text;
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString folded = fold_->normalize(text, status);
    if (U_FAILURE(status)) return text;
    // A skeleton is at most a few times longer than its text.
    std::vector<UChar> out(static_cast<size_t>(folded.length()) * 8 + 16);
    const int32_t n = uspoof_getSkeleton(spoof_.get(), 0, folded.getBuffer(), folded.length(),
                                         out.data(), static_cast<int32_t>(out.size()), &status);
    if (U_FAILURE(status)) return folded;
    return {out.data(), n};
  }

  struct Closer {
    void operator()(USpoofChecker* c) const { uspoof_close(c); }
  };
  const icu::Normalizer2* fold_ = nullptr;
  std::unique_ptr<USpoofChecker, Closer> spoof_;
  std::vector<icu::UnicodeString> names_;
};

const NameReader& Names() {
  static const NameReader reader;
  return reader;
}

// The letter a digit stands in for in a name ("s0urce"), or 0.
UChar32 DigitAsLetter(UChar32 c) {
  switch (u_charDigitValue(c)) {
    case 0: return 'o';
    case 1: return 'l';
    case 3: return 'e';
    case 5: return 's';
    case 7: return 't';
    default: return 0;
  }
}

// Whether the bracket ending at `pos` opens or closes a tag of ours.
bool OpensOurTag(std::string_view text, size_t pos) {
  for (int32_t n = 0; pos < text.size() && n < kLongestFiller; ++n) {
    const CodePoint cp = At(text, pos);
    if (!IsFiller(cp.c)) break;
    pos += static_cast<size_t>(cp.length);
  }
  icu::UnicodeString word;
  for (int32_t n = 0; pos < text.size() && n < kLongestName; ++n) {
    const CodePoint cp = At(text, pos);
    if (u_isalpha(cp.c) != 0) {
      word.append(cp.c);
    } else if (const UChar32 letter = DigitAsLetter(cp.c); letter != 0) {
      word.append(letter);  // "</s0urce>", "</5ource>"
    } else if (!IsInvisible(cp.c)) {
      break;
    }
    pos += static_cast<size_t>(cp.length);
  }
  return !word.isEmpty() && Names().IsDelimiterName(word);
}

}  // namespace

std::string DelimitedData(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const CodePoint cp = At(text, i);
    const auto length = static_cast<size_t>(cp.length);
    if (IsBracket(cp.c) && OpensOurTag(text, i + length)) {
      out += "&lt;";
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace daulat::knowledge
