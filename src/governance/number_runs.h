#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

// Internal to the PII guard: how numbers are read out of (normalised) text
// before each recogniser judges them.
namespace daulat::governance::internal {

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool IsAlnum(char c) {
  return IsDigit(c) || IsAlpha(c);
}

// A number as people write it: digit groups joined by separators. The
// recognisers judge the digits and the shape (group lengths, separators).
struct Candidate {
  size_t begin = 0, end = 0;  // bytes
  std::string digits;
  std::vector<size_t> groups;  // digits per group, in order
  bool plus = false;           // written with a leading '+'
  bool dots = false;           // some groups joined by '.'
  bool brackets = false;       // an area code in brackets: "(03) 2161 2345"
  bool only_dashes = true;     // every separator is a single '-'
  bool divided = false;        // groups set apart by a line, '/' or '_''
  // Letters written right against it ("KP900101-14-5678", "No.9001...",
  // "...5678KL"): the label before, lower-cased, when there is one.
  bool glued_before = false;
  bool glued_after = false;
  std::string label;
  // A window of a longer run ("Bilik 7 900101-14-5678"): only the usual
  // shapes count then. `dropped` is the longest group left out.
  bool partial = false;
  size_t dropped = 0;

  bool Shape(std::initializer_list<size_t> lengths) const {
    return std::equal(groups.begin(), groups.end(), lengths.begin(), lengths.end());
  }
  // Digits set apart one or two at a time ("9 0 0 1 0 1 - 1 4 ...",
  // "900101-1 4-5 6 7 8"), typed to slip past a guard.
  bool Spaced() const { return groups.size() > 1 && groups.size() * 2 >= digits.size(); }
  bool Plain() const { return !plus && !dots && !brackets; }
  bool Glued() const { return glued_before || glued_after; }
};

// Digit groups joined by separators (and a leading '+' or '('), and every
// window of such a run between groups set apart (spaces, a line, '/', '_')
// of up to 19 digits: the shapes every numeric identifier takes, with
// other numbers written around it. A run after a decimal point is none.
std::vector<Candidate> NumberRuns(std::string_view text);

}  // namespace daulat::governance::internal
