// End to end with the real demo model (Gemma 3 270M), greedy decoding, through
// the `daulat` binary exactly as a user runs it. Needs scripts/bootstrap to
// have installed the model into DAULAT_DATA_DIR (or the default data folder).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace daulat {
namespace {

using testing::RunDaulat;

std::string Ask(const std::string& question) {
  auto r = RunDaulat({"run", "--model", "gemma3-270m", "--temperature", "0", "-n", "48", question});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(DemoModelTest, IsInstalledAndVerifies) {
  auto r = RunDaulat({"models", "verify", "gemma3-270m", "--json"});
  ASSERT_EQ(r.exit_code, 0) << "demo model missing or corrupt; run scripts/bootstrap\n"
                            << r.out << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["results"][0]["ok"].get<bool>());
}

TEST(DemoModelTest, KnowsTheCapitalOfMalaysiaInEnglish) {
  const auto answer = Ask("What is the capital of Malaysia?");
  EXPECT_NE(answer.find("Kuala Lumpur"), std::string::npos) << answer;
}

TEST(DemoModelTest, KnowsTheCapitalOfMalaysiaInMalay) {
  const auto answer = Ask("Apakah ibu negara Malaysia?");
  EXPECT_NE(answer.find("Kuala Lumpur"), std::string::npos) << answer;
  EXPECT_NE(answer.find("negara Malaysia"), std::string::npos)
      << "expected a Malay answer: " << answer;
}

TEST(DemoModelTest, ChatRemembersTheConversation) {
  auto r = RunDaulat({"chat", "--model", "gemma3-270m", "--temperature", "0", "-n", "32"}, {},
                     "What is the capital of Malaysia?\nApakah ibu negara Malaysia?\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Kuala Lumpur"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
}

}  // namespace
}  // namespace daulat
