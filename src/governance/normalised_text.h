#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace daulat::governance {

// The view of a text the PII recognisers read, so that an identifier copied
// from Word or a PDF, or disguised on purpose, looks like its plain form:
//  - NFKC (full-width digits and '@', circled and mathematical digits);
//  - every decimal digit of any script folded to ASCII;
//  - Unicode dashes (en dash, non-breaking hyphen, minus sign) folded to '-';
//  - Unicode spaces (no-break, thin, ideographic) folded to ' ';
//  - invisible characters (zero-width space and joiners, soft hyphen,
//    bidirectional controls, byte-order mark) and combining marks (accents,
//    the keycap U+20E3) dropped;
//  - the letters O and l (or I) written for 0 and 1 in a run that is mostly
//    digits ("9OO1O1-14-5678") folded to those digits.
// Each byte of `text` knows the span of original bytes it came from, so a
// finding in the view masks exactly the original characters. Invalid UTF-8
// bytes pass through unchanged, one for one.
struct NormalisedText {
  std::string text;
  std::vector<uint32_t> from;  // per byte of text: first original byte
  std::vector<uint32_t> to;    // per byte of text: one past its last original byte

  // The original byte span of text[begin, end); begin < end <= text.size().
  size_t OriginalBegin(size_t begin) const { return from[begin]; }
  size_t OriginalEnd(size_t end) const { return to[end - 1]; }
};

NormalisedText NormaliseForScan(std::string_view original);

}  // namespace daulat::governance
