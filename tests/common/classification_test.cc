#include "common/classification.h"

#include <gtest/gtest.h>

namespace daulat {
namespace {

TEST(ClassificationTest, ParsesMalayNamesAndEnglishAliases) {
  EXPECT_EQ(ParseClassification("TERBUKA"), Classification::kTerbuka);
  EXPECT_EQ(ParseClassification("public"), Classification::kTerbuka);
  EXPECT_EQ(ParseClassification("Terhad"), Classification::kTerhad);
  EXPECT_EQ(ParseClassification("restricted"), Classification::kTerhad);
  EXPECT_EQ(ParseClassification("SULIT"), Classification::kSulit);
  EXPECT_EQ(ParseClassification("Confidential"), Classification::kSulit);
  EXPECT_EQ(ParseClassification("rahsia"), Classification::kRahsia);
  EXPECT_EQ(ParseClassification("SECRET"), Classification::kRahsia);
  EXPECT_EQ(ParseClassification("RAHSIA BESAR"), Classification::kRahsiaBesar);
  EXPECT_EQ(ParseClassification("rahsia_besar"), Classification::kRahsiaBesar);
  EXPECT_EQ(ParseClassification("  top-secret "), Classification::kRahsiaBesar);
}

TEST(ClassificationTest, RejectsUnknownLabels) {
  EXPECT_FALSE(ParseClassification(""));
  EXPECT_FALSE(ParseClassification("RAHSIABESAR"));
  EXPECT_FALSE(ParseClassification("classified"));
  EXPECT_FALSE(ParseClassification("SULIT!"));
}

TEST(ClassificationTest, LadderIsOrderedAndNamesRoundTrip) {
  EXPECT_LT(Classification::kTerbuka, Classification::kTerhad);
  EXPECT_LT(Classification::kSulit, Classification::kRahsia);
  EXPECT_LT(Classification::kRahsia, Classification::kRahsiaBesar);
  for (auto c : {Classification::kTerbuka, Classification::kTerhad, Classification::kSulit,
                 Classification::kRahsia, Classification::kRahsiaBesar}) {
    EXPECT_EQ(ParseClassification(ClassificationName(c)), c);
  }
}

}  // namespace
}  // namespace daulat
