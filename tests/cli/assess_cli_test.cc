// daulat assess: answers files, the terminal questionnaire, stored versions
// with platform evidence, reports, and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "subprocess.h"
#include "tiny_model.h"

namespace daulat {
namespace {

using nlohmann::json;
using testing::RunDaulat;

const std::string kAnswers =
    std::string(DAULAT_SOURCE_DIR) + "/tests/assessment/golden/answers.yaml";

class AssessCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::MakeTempDir("assess");
    env_ = {{"DAULAT_DATA_DIR", data_.string()}};
  }
  void TearDown() override { std::filesystem::remove_all(data_); }
  testing::ProcessResult Run(const std::vector<std::string>& args, const std::string& in = "") {
    return RunDaulat(args, env_, in);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const auto p = data_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path data_;
  std::map<std::string, std::string> env_;
};

TEST_F(AssessCliTest, AnAnswersFileGivesTheScorecardAndAReport) {
  auto r =
      Run({"assess", "--answers", kAnswers, "--json", "--report", (data_ / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json s = json::parse(r.out);
  EXPECT_EQ(s["overall"], 37.1);
  EXPECT_EQ(s["tier"]["id"], "foundations");
  EXPECT_EQ(s["gates"][0]["status"], "unmet");
  std::ifstream html(data_ / "r.html");
  const std::string text((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Jabatan Contoh Negeri"), std::string::npos);
  auto ms = Run({"assess", "--answers", kAnswers, "--language", "ms", "--report",
                 (data_ / "r.pdf").string()});
  ASSERT_EQ(ms.exit_code, 0) << ms.err;
  EXPECT_NE(ms.out.find("Skor keseluruhan 37.1"), std::string::npos) << ms.out;
  EXPECT_NE(ms.out.find("TIDAK DIPENUHI  Pegawai perlindungan data (PDPA)"), std::string::npos)
      << ms.out;
  ASSERT_EQ(Run({"assess", "--answers", kAnswers, "--language", "ms", "--report",
                 (data_ / "r-ms.html").string()})
                .exit_code,
            0);
  std::ifstream ms_html(data_ / "r-ms.html");
  const std::string ms_text((std::istreambuf_iterator<char>(ms_html)),
                            std::istreambuf_iterator<char>());
  EXPECT_NE(ms_text.find("Strategi dan kepimpinan"), std::string::npos);
  EXPECT_EQ(ms_text.find("Strategy and leadership"), std::string::npos);
  std::ifstream pdf(data_ / "r.pdf", std::ios::binary);
  std::string head(5, '\0');
  pdf.read(head.data(), 5);
  EXPECT_EQ(head, "%PDF-");
}

TEST_F(AssessCliTest, TheQuestionnaireAsksInTheTerminal) {
  // Three questions answered (one after a wrong entry), one skipped, then stop.
  auto r = Run({"assess", "--json"}, "4\n9\n3\n\n2\nq\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Type a number from 1 to 5."), std::string::npos);
  EXPECT_NE(r.err.find("An approved strategy names goals"), std::string::npos);
  const json s = json::parse(r.out);
  EXPECT_EQ(s["answered"], 3);
  // End of input also ends the questionnaire.
  auto eof = Run({"assess", "--json"}, "5\n");
  ASSERT_EQ(eof.exit_code, 0) << eof.err;
  EXPECT_EQ(json::parse(eof.out)["answered"], 1);
}

TEST_F(AssessCliTest, StoredAssessmentsUseEvidenceAndShowProgress) {
  ASSERT_EQ(Run({"tenants", "create", "jpn", "--name", "JPN"}).exit_code, 0);
  // jpn has no policy of its own and no usage: the file's 4 for governance.policy
  // and 2 for adoption.usage contradict the platform's evidence without a reason.
  auto refused = Run({"assess", "--tenant", "jpn", "--answers", kAnswers});
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_NE(refused.err.find("overriding it needs a reason"), std::string::npos) << refused.err;
  const std::string answers =
      Write("jpn.yaml",
            "organisation: JPN\nanswers:\n  strategy.vision: 3\n"
            "  governance.policy: {level: 3, reason: a written policy outside daulat}\n"
            "  adoption.usage: {level: 2, reason: the pilot runs elsewhere}\n");
  auto first = Run({"assess", "--tenant", "jpn", "--answers", answers, "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json a = json::parse(first.out);
  EXPECT_EQ(a["version"], 1);
  const std::string id = a["assessment_id"];
  auto second = Run({"assess", "--tenant", "jpn", "--id", id, "--answers",
                     Write("more.yaml", "answers:\n  talent.literacy: 3\n  adoption.value: 3\n"),
                     "--json", "--report", (data_ / "progress.html").string()});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const json b = json::parse(second.out);
  EXPECT_EQ(b["version"], 2);
  EXPECT_GT(b["overall"].get<double>(), a["overall"].get<double>());
  std::ifstream html(data_ / "progress.html");
  const std::string text((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(id + " v1"), std::string::npos) << "compared with the first version";
  EXPECT_NE(text.find("class=\"up\""), std::string::npos);
  // Evidence answered what the platform sees; the overrides keep their reasons.
  EXPECT_NE(text.find("platform evidence (audit_chain_verified = true)"), std::string::npos);
  EXPECT_NE(text.find("platform evidence (pii_guard_on = true)"), std::string::npos);
  EXPECT_NE(text.find("overrides evidence (level 2): a written policy outside daulat"),
            std::string::npos);
  auto audit = Run({"audit", "list", "--tenant", "jpn", "--json"});
  EXPECT_NE(audit.out.find("assessment_scored"), std::string::npos);
}

TEST_F(AssessCliTest, BadInputIsRefusedClearly) {
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"answers:\n  strategy.nope: 3\n", 5, "'strategy.nope' is not a question"},
      {"answers:\n  strategy.vision: 7\n", 5, "from 1 to 5"},
      {"answers:\n  strategy.vision: [3\n", 5, "not valid YAML"},
      {"facts:\n  data_subjects: lots\n", 5, "must be a integer"},
      {"framework: other@1\nanswers: {}\n", 5, "not star@1.0.0"},
      {"colour: red\n", 5, "unknown field 'colour'"},
      {"- 1\n- 2\n", 5, "must be a mapping"},
  };
  for (const auto& [text, code, want] : cases) {
    auto r = Run({"assess", "--answers", Write("bad.yaml", text)});
    EXPECT_EQ(r.exit_code, code) << text;
    EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
  }
  EXPECT_EQ(Run({"assess", "--answers", (data_ / "missing.yaml").string()}).exit_code, 3);
  EXPECT_EQ(Run({"assess", "--answers", kAnswers, "--language", "fr"}).exit_code, 2);
  EXPECT_EQ(Run({"assess", "--answers", kAnswers, "--target-level", "9"}).exit_code, 2);
  EXPECT_EQ(Run({"assess", "--answers", kAnswers, "--tenant", "nobody"}).exit_code, 3);
  EXPECT_EQ(Run({"assess", "--answers", kAnswers, "--id", "asm_x"}).exit_code, 5);
  auto fw = Run(
      {"assess", "--answers", kAnswers, "--framework", Write("fw.yaml", "id: x\nversion: 1\n")});
  EXPECT_EQ(fw.exit_code, 5);
  EXPECT_NE(fw.err.find("framework:"), std::string::npos) << fw.err;
  EXPECT_EQ(Run({"assess", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace daulat
