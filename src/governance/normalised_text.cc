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
    if (Invisible(c)) return;
    const int8_t type = u_charType(c);
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
  return out;
}

}  // namespace daulat::governance
