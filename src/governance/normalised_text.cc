#include "governance/normalised_text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace daulat::governance {
namespace {

const icu::Normalizer2* Nfkc() {
  static const icu::Normalizer2* const nfkc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return nfkc;
}

// Characters with no visible form, which an attacker slips between digits.
bool Invisible(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) != 0;
}

class Builder {
 public:
  explicit Builder(NormalisedText& out) : out_(out) {}

  void Byte(char b, size_t from, size_t to) {
    out_.text.push_back(b);
    out_.from.push_back(static_cast<uint32_t>(from));
    out_.to.push_back(static_cast<uint32_t>(to));
  }

  // Appends one normalised code point, folded, for original bytes [from, to).
  void CodePoint(UChar32 c, size_t from, size_t to) {
    const int8_t type = u_charType(c);
    // Marks no identifier has: accents and keycaps (U+20E3) put on digits.
    if (Invisible(c) || type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) return;
    if (type == U_DECIMAL_DIGIT_NUMBER && c > 0x7F) {
      Byte(static_cast<char>('0' + u_charDigitValue(c)), from, to);
    } else if (c > 0x7F && (type == U_DASH_PUNCTUATION || c == 0x2212)) {
      Byte('-', from, to);
    } else if (c > 0x7F && type == U_SPACE_SEPARATOR) {
      Byte(' ', from, to);
    } else {
      char buf[U8_MAX_LENGTH];
      int32_t n = 0;
      UBool error = false;
      U8_APPEND(buf, n, U8_MAX_LENGTH, c, error);
      for (int32_t i = 0; i < n && !error; ++i) Byte(buf[i], from, to);
    }
  }

  // A run of code points that NFKC treats as one unit (a base and its marks).
  void Segment(const icu::UnicodeString& segment, size_t from, size_t to) {
    const icu::Normalizer2* nfkc = Nfkc();
    icu::UnicodeString normal = segment;
    if (nfkc != nullptr) {
      UErrorCode status = U_ZERO_ERROR;
      icu::UnicodeString n = nfkc->normalize(segment, status);
      if (U_SUCCESS(status)) normal = n;
    }
    for (int32_t i = 0; i < normal.length();) {
      const UChar32 c = normal.char32At(i);
      CodePoint(c, from, to);
      i += U16_LENGTH(c);
    }
  }

 private:
  NormalisedText& out_;
};

bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiAlnum(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char DigitLookalike(char c) {
  if (c == 'O' || c == 'o') return '0';
  if (c == 'I' || c == 'l') return '1';
  return 0;
}

// "9OO1O1-14-5678", "O12-345 6789": a run of digit groups where some digits
// are written as the letters O and l (or I). Folded only where the run has
// 6+ real digits and no more letters than digits, so words stay words.
void FoldDigitLookalikes(std::string& t) {
  const auto separator = [](char c) {
    return c == '-' || c == '.' || c == ' ' || c == '/' || c == '_' || c == '\n' || c == '(' ||
           c == ')' || c == '+';
  };
  size_t i = 0;
  while (i < t.size()) {
    // A run begins with a digit or a look-alike set apart, or with a digit
    // right after a label ("KP88O312-14-5O12").
    const bool starts = IsAsciiDigit(t[i]) ? true : DigitLookalike(t[i]) != 0;
    if (!starts || (i > 0 && IsAsciiAlnum(t[i - 1]) && !IsAsciiDigit(t[i]))) {
      ++i;
      continue;
    }
    size_t digits = 0, letters = 0, end = i, j = i;
    while (j < t.size()) {
      size_t k = j, d = 0, l = 0;
      for (; k < t.size() && (IsAsciiDigit(t[k]) || DigitLookalike(t[k]) != 0); ++k)
        ++(IsAsciiDigit(t[k]) ? d : l);
      if (k == j || (k < t.size() && IsAsciiAlnum(t[k]))) break;  // part of a word
      digits += d;
      letters += l;
      end = k;
      size_t gap = 0;  // "-", " - ", ") "
      while (k + gap < t.size() && gap < 3 && separator(t[k + gap])) ++gap;
      if (gap == 0 || k + gap >= t.size()) break;
      j = k + gap;
    }
    if (letters > 0 && digits >= 6 && letters <= digits) {
      for (size_t k = i; k < end; ++k)
        if (const char d = DigitLookalike(t[k]); d != 0) t[k] = d;
    }
    i = std::max(end, i + 1);
    while (i < t.size() && IsAsciiAlnum(t[i])) ++i;
  }
}

}  // namespace

NormalisedText NormaliseForScan(std::string_view original) {
  NormalisedText out;
  out.text.reserve(original.size());
  out.from.reserve(original.size());
  out.to.reserve(original.size());
  Builder builder(out);
  const icu::Normalizer2* nfkc = Nfkc();
  const auto* bytes = reinterpret_cast<const uint8_t*>(original.data());
  const auto length = static_cast<int32_t>(original.size());
  icu::UnicodeString segment;
  size_t segment_from = 0;
  size_t segment_to = 0;
  const auto flush = [&] {
    if (!segment.isEmpty()) builder.Segment(segment, segment_from, segment_to);
    segment.remove();
  };
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    if (bytes[i] < 0x80 && (i + 1 >= length || bytes[i + 1] < 0x80)) {
      flush();  // ASCII followed by ASCII: NFKC leaves it alone
      builder.Byte(static_cast<char>(bytes[i]), static_cast<size_t>(i), static_cast<size_t>(i) + 1);
      ++i;
      continue;
    }
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    const auto from = static_cast<size_t>(start);
    const auto to = static_cast<size_t>(i);
    if (c < 0) {  // not UTF-8: keep the bytes as they are
      flush();
      for (size_t b = from; b < to; ++b) builder.Byte(original[b], b, b + 1);
      continue;
    }
    if (Invisible(c)) {
      flush();  // dropped, and never glued to a neighbour's mapping
      continue;
    }
    if (nfkc == nullptr || nfkc->hasBoundaryBefore(c)) {
      flush();
      segment_from = from;
    }
    if (segment.isEmpty()) segment_from = from;
    segment.append(c);
    segment_to = to;
  }
  flush();
  FoldDigitLookalikes(out.text);
  return out;
}

}  // namespace daulat::governance
