#include "knowledge/text_analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace daulat::knowledge {
namespace {

bool Has(const std::vector<std::string>& terms, const std::string& t) {
  return std::find(terms.begin(), terms.end(), t) != terms.end();
}

TEST(TextAnalyzerTest, MalayWordsMeetTheirStems) {
  const auto terms =
      TextAnalyzer::Terms("Pekeliling ini MENGGUNAKAN peraturan perundangan baharu.");
  EXPECT_TRUE(Has(terms, "menggunakan"));
  EXPECT_TRUE(Has(terms, "guna"));
  EXPECT_TRUE(Has(terms, "undang"));
  EXPECT_TRUE(Has(terms, "pekeliling"));
  EXPECT_FALSE(Has(terms, "."));
  // A query in another form of the word finds the same stem.
  EXPECT_TRUE(Has(TextAnalyzer::QueryTerms("guna"), "guna"));
  EXPECT_TRUE(Has(TextAnalyzer::QueryTerms("digunakan"), "guna"));
}

TEST(TextAnalyzerTest, EnglishStemsAndCaseFolding) {
  const auto terms = TextAnalyzer::Terms("The Regulations REQUIRE licensing.");
  EXPECT_TRUE(Has(terms, "regulations"));
  EXPECT_TRUE(Has(terms, "regul"));
  EXPECT_TRUE(Has(terms, "licens"));
  EXPECT_TRUE(Has(TextAnalyzer::QueryTerms("regulation"), "regul"));
}

TEST(TextAnalyzerTest, ChineseIsSegmentedIntoWords) {
  const auto terms = TextAnalyzer::Terms("马来西亚的首都是吉隆坡。");
  EXPECT_TRUE(Has(terms, "首都"));
  EXPECT_TRUE(Has(terms, "吉隆坡"));
  // However the dictionary splits a name, a query splits it the same way.
  for (const auto& t : TextAnalyzer::QueryTerms("马来西亚")) EXPECT_TRUE(Has(terms, t)) << t;
  EXPECT_FALSE(Has(terms, "。"));
}

TEST(TextAnalyzerTest, TamilWordsAndNumbers) {
  const auto terms = TextAnalyzer::Terms("மலேசியாவின் தலைநகரம் கோலாலம்பூர் 2026");
  EXPECT_TRUE(Has(terms, "கோலாலம்பூர்"));
  EXPECT_TRUE(Has(terms, "2026"));
  EXPECT_GE(terms.size(), 4u);
}

TEST(TextAnalyzerTest, QueryTermsAreDistinctAndOddInputIsHarmless) {
  const auto q = TextAnalyzer::QueryTerms("lesen lesen LESEN");
  EXPECT_EQ(std::count(q.begin(), q.end(), "lesen"), 1);
  EXPECT_TRUE(TextAnalyzer::Terms("").empty());
  EXPECT_TRUE(TextAnalyzer::Terms("   ... !!! ").empty());
  EXPECT_NO_THROW(TextAnalyzer::Terms(std::string("\xff\xfe bad utf8 \xc3")));
  EXPECT_TRUE(TextAnalyzer::Terms(std::string(200, 'a')).empty());  // not a word
}

}  // namespace
}  // namespace daulat::knowledge
