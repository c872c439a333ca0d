#include "engine/sentencepiece_charsmap.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/utf8.h"

namespace daulat::engine {
namespace {

TEST(SentencepieceCharsmapTest, EveryRuleIsFoundAndNothingElse) {
  std::vector<CharsmapRule> rules = {{"\t", " "},  {"\xC2\xA0", " "},     {"\xEF\xAC\x81", "fi"},
                                     {"\x01", ""}, {"\xEF\xBC\xA1", "A"}, {"\xE2\x91\xA0", "1"},
                                     {"ab", "x"},  {"abc", "yz"}};
  auto map = BuildPrecompiledCharsmap(rules);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  for (const auto& r : rules) {
    const auto [matched, to] = MatchCharsmap(*map, r.from + "tail");
    EXPECT_EQ(matched, r.from.size()) << r.from;
    EXPECT_EQ(to, r.to) << r.from;
  }
  EXPECT_EQ(MatchCharsmap(*map, "a").first, 0u);      // a prefix of a rule is no match
  EXPECT_EQ(MatchCharsmap(*map, "abd").second, "x");  // the longest rule that matches
  EXPECT_EQ(MatchCharsmap(*map, "b").first, 0u);
  EXPECT_EQ(MatchCharsmap(*map, "").first, 0u);
}

TEST(SentencepieceCharsmapTest, ThousandsOfCodePointsRoundTrip) {
  // As many single-code-point rules as XLM-R's table has, across all UTF-8 lengths.
  std::mt19937 rng(7);
  std::vector<CharsmapRule> rules;
  std::set<char32_t> seen;
  while (rules.size() < 6000) {
    const auto cp = static_cast<char32_t>(1 + rng() % 0x2FFFF);
    if ((cp >= 0xD800 && cp <= 0xDFFF) || !seen.insert(cp).second) continue;
    rules.push_back({Utf8Encode(cp), rules.size() % 7 == 0
                                         ? ""
                                         : Utf8Encode(static_cast<char32_t>(0x41 + rng() % 26))});
  }
  auto map = BuildPrecompiledCharsmap(rules);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  for (const auto& r : rules) {
    const auto [matched, to] = MatchCharsmap(*map, r.from);
    ASSERT_EQ(matched, r.from.size());
    ASSERT_EQ(to, r.to);
  }
  for (char32_t cp = 0x100; cp < 0x3000; ++cp) {
    if (seen.count(cp) || (cp >= 0xD800 && cp <= 0xDFFF)) continue;
    ASSERT_EQ(MatchCharsmap(*map, Utf8Encode(cp)).first, 0u) << static_cast<uint32_t>(cp);
  }
}

TEST(SentencepieceCharsmapTest, BadRulesAreRefused) {
  EXPECT_EQ(BuildPrecompiledCharsmap({{"", "x"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildPrecompiledCharsmap({{"a", "x"}, {"a", "y"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildPrecompiledCharsmap({{std::string("a\0b", 3), "x"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MatchCharsmap("", "a").first, 0u);
  EXPECT_EQ(MatchCharsmap(std::string("\xFF\xFF\xFF\x7F", 4), "a").first,
            0u);  // lies about its size
}

}  // namespace
}  // namespace daulat::engine
