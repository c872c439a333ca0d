#include "assessment/framework.h"

#include <gtest/gtest.h>

#include <set>

namespace daulat::assessment {
namespace {

using nlohmann::json;

TEST(FrameworkTest, TheDefaultFrameworkCoversSixPillarsInBothLanguages) {
  const Framework& f = DefaultFramework();
  EXPECT_EQ(f.Name(), "star@1.0.0");
  ASSERT_EQ(f.pillars.size(), 6u);
  double weights = 0;
  for (const auto& p : f.pillars) {
    weights += p.weight;
    EXPECT_FALSE(p.title.ms.empty()) << p.id;
  }
  EXPECT_DOUBLE_EQ(weights, 100);
  std::set<std::string> aige, nist;
  for (const auto& q : f.questions) {
    EXPECT_FALSE(q.text.ms.empty()) << q.id;
    EXPECT_FALSE(q.action.ms.empty()) << q.id;
    for (const auto& l : q.levels) EXPECT_FALSE(l.ms.empty()) << q.id;
    aige.insert(q.aige.begin(), q.aige.end());
    nist.insert(q.nist.begin(), q.nist.end());
  }
  EXPECT_GE(f.questions.size(), 18u);
  // Governance maps to every AIGE principle and every NIST AI RMF function it names.
  std::set<std::string> want_aige, want_nist;
  for (const auto& p : f.principles["aige"]) want_aige.insert(p["id"].get<std::string>());
  for (const auto& p : f.principles["nist"]) want_nist.insert(p["id"].get<std::string>());
  EXPECT_EQ(want_aige.size(), 7u);
  EXPECT_EQ(aige, want_aige);
  EXPECT_EQ(nist, (std::set<std::string>{"govern", "map", "measure", "manage"}));
  EXPECT_EQ(nist, want_nist);
  for (const auto& g : f.gates) EXPECT_FALSE(g.action.ms.empty()) << g.id;
}

TEST(FrameworkTest, PdpaGatesFollowTheThresholds) {
  const Framework& f = DefaultFramework();
  const Gate* dpo = nullptr;
  for (const auto& g : f.gates) {
    if (g.id == "pdpa.dpo") dpo = &g;
  }
  ASSERT_NE(dpo, nullptr);
  const auto unmet = [&](const std::map<std::string, json>& facts) {
    return Evaluate(dpo->when, facts);
  };
  EXPECT_EQ(unmet({{"data_subjects", 25000}, {"sensitive_data", false}, {"dpo_appointed", false}}),
            Truth::kTrue);
  EXPECT_EQ(unmet({{"data_subjects", 15000}, {"sensitive_data", true}, {"dpo_appointed", false}}),
            Truth::kTrue);
  EXPECT_EQ(unmet({{"data_subjects", 15000}, {"sensitive_data", false}, {"dpo_appointed", false}}),
            Truth::kFalse);
  EXPECT_EQ(unmet({{"data_subjects", 9000}, {"sensitive_data", true}, {"dpo_appointed", false}}),
            Truth::kFalse);
  EXPECT_EQ(unmet({{"data_subjects", 25000}, {"dpo_appointed", true}}), Truth::kFalse);
  EXPECT_EQ(unmet({{"data_subjects", 25000}}), Truth::kUnknown);
}

TEST(FrameworkTest, YamlScalarsFollowTheCoreSchema) {
  auto j = ParseYaml("a: true\nb: 'true'\nc: 12\nd: 1.5\ne: ~\nf: 012x\ng: [1, two]\n");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["a"], true);
  EXPECT_EQ((*j)["b"], "true");
  EXPECT_EQ((*j)["c"], 12);
  EXPECT_EQ((*j)["d"], 1.5);
  EXPECT_TRUE((*j)["e"].is_null());
  EXPECT_EQ((*j)["f"], "012x");
  EXPECT_EQ((*j)["g"], json::array({1, "two"}));
  EXPECT_EQ(ParseYaml("{\"json\": [1, 2]}")->at("json"), json::array({1, 2}));
  const auto bad = ParseYaml("a: [1, 2\nb: }");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

// Each broken copy of the default framework is refused with a message
// naming the place.
TEST(FrameworkTest, MalformedFrameworksAreRefusedByName) {
  const std::string good(DefaultFrameworkText());
  const auto broken = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return ParseFramework(s);
  };
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"  - id: strategy\n    weight: 15", "  - id: strategy\n    weight: 0",
       "pillars[0] weight must be a number above 0"},
      {"          - id: strategy.sponsorship", "          - id: strategy.vision",
       "repeats the question id 'strategy.vision'"},
      {"            stage: foundations\n            en: \"Is there an AI strategy",
       "            stage: someday\n            en: \"Is there an AI strategy",
       "stage 'someday' is not a stage"},
      {"              - {en: \"AI is part of every unit's plan and shapes the organisation's "
       "direction.\", ms: \"AI menjadi sebahagian pelan setiap unit dan membentuk hala tuju "
       "organisasi.\"}\n",
       "", "levels must have exactly 5 entries"},
      {"{fact: breach_notification_72h, eq: false}", "{fact: weather, eq: false}",
       "gates[2].when names an unknown fact"},
      {"{fact: breach_notification_72h, eq: false}", "{fact: breach_notification_72h, like: false}",
       "needs one of eq, gt"},
      {"{id: pilot, min: 40,", "{id: pilot, min: 0,", "min must rise"},
      {"{eq: true, level: 4}, {eq: false, level: 2}]}", "{eq: true, level: 7}]}",
       "level must be 1 to 5"},
      {"title: {en: \"STAR AI readiness assessment\"",
       "title: {ms: \"STAR AI readiness assessment\"", "title.en must be a non-empty string"},
      {"id: star\n", "id: Star Framework\n", "id must be an id"},
      {"pillars:\n", "pillars: 3\nignored:\n", "pillars must be a non-empty list"},
  };
  for (const auto& [from, to, want] : cases) {
    const auto f = broken(from, to);
    ASSERT_FALSE(f.ok()) << want;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(want), std::string::npos) << f.status().message();
  }
  EXPECT_FALSE(ParseFramework("just a string").ok());
  EXPECT_FALSE(ParseFramework("").ok());
  EXPECT_EQ(LoadFramework("/no/such/framework.yaml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace daulat::assessment
