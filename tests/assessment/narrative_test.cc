#include "assessment/narrative.h"

#include <gtest/gtest.h>

namespace daulat::assessment {
namespace {

nlohmann::json Score(const std::string& language) {
  return {
      {"language", language},
      {"overall", 62.5},
      {"tier", {{"title", "Developing"}}},
      {"pillars",
       {{{"title", "Data governance"}, {"score", 71.3}}, {{"title", "Skills"}, {"score", 40.0}}}},
      {"gates", {{{"title", "A named AI owner"}, {"status", "unmet"}}}},
      {"gaps", {{{"text", "No model inventory"}}}}};
}

TEST(NarrativeTest, NumbersAreReadFromText) {
  EXPECT_EQ(NumbersIn("Skor 62.5 / 100, 1,250 pegawai; 3. Selesai."),
            (std::vector<double>{62.5, 100, 1250, 3}));
  EXPECT_TRUE(NumbersIn("tiada nombor").empty());
}

// A narrative must read the numbers it is given: one that misreads a score
// or invents a figure is not used (the next attempt asks again).
TEST(NarrativeTest, ANarrativeStatingNumbersItWasNotGivenIsNotUsed) {
  for (const std::string language : {"en", "ms"}) {
    const auto prompt = NarrativePrompt(Score(language), 0);
    ASSERT_TRUE(prompt.has_value());
    EXPECT_NE(prompt->second.find("62.5"), std::string::npos);
    const std::string& facts = prompt->second;
    EXPECT_TRUE(UsableNarrative(
        "The organisation scores 62.5 out of 100 (Developing); data governance is strongest at "
        "71.3, and skills lag at 40.0. Two of three areas need work.",
        facts))
        << language;
    EXPECT_FALSE(UsableNarrative(
        "The organisation scores 65 out of 100, with data governance its strongest pillar.",
        facts));
    EXPECT_FALSE(UsableNarrative(
        "By 2027 the organisation should reach 62.5 and then the next tier of readiness.", facts));
    EXPECT_TRUE(UsableNarrative(
        "Skor keseluruhan 62.5 daripada 100. Satu kewajipan belum dipenuhi dan 1 jurang utama.",
        facts));
    EXPECT_FALSE(UsableNarrative("Overall score: 62.5", facts));  // too short / an echo
  }
}

}  // namespace
}  // namespace daulat::assessment
