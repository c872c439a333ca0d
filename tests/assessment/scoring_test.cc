#include "assessment/scoring.h"

#include <gtest/gtest.h>

#include "assessment/framework.h"

namespace daulat::assessment {
namespace {

using nlohmann::json;

// A small framework written for the tests: two pillars (weights 3 and 1),
// three questions, two facts, one gate.
const char* kSmall = R"(
id: small
version: "1"
title: {en: Small, ms: Kecil}
target_level: 4
levels: [{en: I}, {en: D}, {en: F}, {en: M}, {en: O}]
tiers: [{id: low, min: 0, en: Low}, {id: mid, min: 50, en: Mid}, {id: high, min: 80, en: High}]
stages: [{id: foundations, en: F}, {id: pilot, en: P}, {id: production, en: Prod}]
pillars:
  - id: a
    weight: 3
    en: A
    dimensions:
      - id: d
        en: D
        questions:
          - {id: a.one, weight: 3, stage: foundations, en: "One?", levels: [{en: "1"}, {en: "2"}, {en: "3"}, {en: "4"}, {en: "5"}], action: {en: Do one}}
          - {id: a.two, weight: 1, stage: pilot, en: "Two?", levels: [{en: "1"}, {en: "2"}, {en: "3"}, {en: "4"}, {en: "5"}], action: {en: Do two},
             evidence: {signal: audit_ok, map: [{eq: true, level: 4}, {eq: false, level: 1}]}}
  - id: b
    weight: 1
    en: B
    dimensions:
      - id: d
        en: D
        questions:
          - {id: b.one, stage: production, en: "Three?", levels: [{en: "1"}, {en: "2"}, {en: "3"}, {en: "4"}, {en: "5"}], action: {en: Do three}}
facts:
  - {id: subjects, type: integer, en: "How many?"}
  - {id: dpo, type: boolean, en: "DPO?"}
gates:
  - id: dpo
    blocks: production
    en: Need a DPO
    when: {all: [{fact: subjects, gt: 20000}, {fact: dpo, eq: false}]}
    action: {en: Appoint one}
)";

Framework Small() {
  auto f = ParseFramework(kSmall);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(f).value();
}

Answers Answer(const Framework& f, const json& patch) {
  Answers a;
  const Status st = MergeAnswers(f, patch, a);
  EXPECT_TRUE(st.ok()) << st.message();
  return a;
}

TEST(ScoringTest, WeightedMeansOfLevelsGiveTheSameNumbersEveryTime) {
  const Framework f = Small();
  const Answers a = Answer(f, {{"answers", {{"a.one", 5}, {"a.two", 1}, {"b.one", 3}}}});
  const Score s = ScoreAnswers(f, a);
  // a: (3*100 + 1*0) / 4 = 75; b: 50; overall (3*75 + 1*50) / 4 = 68.75.
  EXPECT_DOUBLE_EQ(s.pillars[0].score, 75);
  EXPECT_DOUBLE_EQ(s.pillars[1].score, 50);
  EXPECT_DOUBLE_EQ(s.overall, 68.75);
  EXPECT_EQ(s.tier->id, "mid");
  const json once = ScoreToJson(f, a, s, "en");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ScoreToJson(f, a, ScoreAnswers(f, a), "en"), once);
  EXPECT_EQ(once["overall"], 68.8);
}

TEST(ScoringTest, UnansweredQuestionsScoreZeroAndAreListed) {
  const Framework f = Small();
  const Answers a = Answer(f, {{"answers", {{"a.one", 4}}}});
  const Score s = ScoreAnswers(f, a);
  EXPECT_EQ(s.answered, 1);
  EXPECT_EQ(s.total, 3);
  EXPECT_DOUBLE_EQ(s.pillars[0].score, 75 * 3 / 4.0);
  EXPECT_DOUBLE_EQ(s.pillars[1].score, 0);
  const json j = ScoreToJson(f, a, s, "en");
  EXPECT_EQ(j["unanswered"], json::array({"a.two", "b.one"}));
  const Score empty = ScoreAnswers(f, Answers{});
  EXPECT_EQ(empty.overall, 0);
  EXPECT_EQ(empty.tier->id, "low");
  EXPECT_EQ(empty.gaps.size(), 3u);
}

TEST(ScoringTest, GapsAreRankedByWeightTimesDistanceWithTiesInFrameworkOrder) {
  const Framework f = Small();
  const Answers a = Answer(f, {{"answers", {{"a.one", 3}, {"a.two", 1}, {"b.one", 1}}}});
  const Score s = ScoreAnswers(f, a);
  ASSERT_EQ(s.gaps.size(), 3u);
  // a.one: 3/4 * 3/4 * 1 = .5625; a.two: 3/4 * 1/4 * 3 = .5625 (tie: framework order); b.one: 1/4 *
  // 1 * 3 = .75.
  EXPECT_EQ(s.gaps[0].question->id, "b.one");
  EXPECT_EQ(s.gaps[1].question->id, "a.one");
  EXPECT_EQ(s.gaps[2].question->id, "a.two");
  EXPECT_TRUE(ScoreAnswers(f, Answer(f, {{"answers", {{"a.one", 4}, {"a.two", 5}, {"b.one", 4}}}}))
                  .gaps.empty());
  EXPECT_EQ(ScoreAnswers(f, a, 5).gaps.size(), 3u);
  EXPECT_EQ(ScoreAnswers(f, a, 5).target_level, 5);
}

TEST(ScoringTest, GatesBlockProductionWhateverTheScoreAndUnknownFactsBlockToo) {
  const Framework f = Small();
  Answers a = Answer(f, {{"answers", {{"a.one", 5}, {"a.two", 5}, {"b.one", 5}}}});
  Score s = ScoreAnswers(f, a);
  EXPECT_EQ(s.tier->id, "high");
  ASSERT_EQ(s.gates.size(), 1u);
  EXPECT_EQ(s.gates[0].second, GateStatus::kUnknown);
  EXPECT_EQ(s.blocked_stages, std::vector<std::string>{"production"});
  ASSERT_TRUE(MergeAnswers(f, {{"facts", {{"subjects", 50000}, {"dpo", false}}}}, a).ok());
  s = ScoreAnswers(f, a);
  EXPECT_EQ(s.gates[0].second, GateStatus::kUnmet);
  ASSERT_EQ(s.roadmap[0].items.size(), 1u);
  EXPECT_EQ(s.roadmap[0].items[0].kind, "gate");
  ASSERT_TRUE(MergeAnswers(f, {{"facts", {{"dpo", true}}}}, a).ok());
  s = ScoreAnswers(f, a);
  EXPECT_EQ(s.gates[0].second, GateStatus::kMet);
  EXPECT_TRUE(s.blocked_stages.empty());
  ASSERT_TRUE(MergeAnswers(f, {{"facts", {{"subjects", 100}, {"dpo", false}}}}, a).ok());
  EXPECT_EQ(ScoreAnswers(f, a).gates[0].second, GateStatus::kMet);  // too few subjects to need one
}

TEST(ScoringTest, EvidencePrefillsAndAnOverrideNeedsAReason) {
  const Framework f = Small();
  Answers a;
  ApplyEvidence(f, {{"audit_ok", true}, {"unrelated", 3}}, a);
  ASSERT_EQ(a.questions.count("a.two"), 1u);
  EXPECT_EQ(a.questions["a.two"].level, 4);
  EXPECT_EQ(a.questions["a.two"].source, "evidence");
  Status st = MergeAnswers(f, {{"answers", {{"a.two", 2}}}}, a);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("needs a reason"), std::string::npos) << st.message();
  EXPECT_EQ(a.questions["a.two"].level, 4);  // nothing changed
  ASSERT_TRUE(
      MergeAnswers(
          f, {{"answers", {{"a.two", {{"level", 2}, {"reason", "only one site is logged"}}}}}}, a)
          .ok());
  EXPECT_EQ(a.questions["a.two"].source, "user");
  EXPECT_EQ(a.questions["a.two"].evidence_level, 4);
  // New evidence does not undo a person's override, but is recorded.
  ApplyEvidence(f, {{"audit_ok", false}}, a);
  EXPECT_EQ(a.questions["a.two"].level, 2);
  EXPECT_EQ(a.questions["a.two"].evidence_level, 1);
  // The stored form round-trips.
  const Answers back = AnswersFor(f, StoredAnswers(AnswersToJson(a)));
  EXPECT_EQ(AnswersToJson(back), AnswersToJson(a));
}

TEST(ScoringTest, BadAnswersAreRejectedByNameAndChangeNothing) {
  const Framework f = Small();
  Answers a = Answer(f, {{"answers", {{"a.one", 2}}}});
  const json before = AnswersToJson(a);
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"answers", {{"nope", 3}}}}, "'nope' is not a question"},
      {{{"answers", {{"a.one", 0}}}}, "from 1 to 5"},
      {{{"answers", {{"a.one", 6}}}}, "from 1 to 5"},
      {{{"answers", {{"a.one", 2.5}}}}, "a level (1 to 5)"},
      {{{"answers", {{"a.one", "three"}}}}, "a level (1 to 5)"},
      {{{"answers", {{"a.one", {{"level", 3}, {"colour", "red"}}}}}}, "unknown field 'colour'"},
      {{{"answers", json::array()}}, "answers must map"},
      {{{"facts", {{"subjects", "many"}}}}, "facts.subjects must be a integer"},
      {{{"facts", {{"subjects", -5}}}}, "must not be negative"},
      {{{"facts", {{"dpo", 1}}}}, "true or false"},
      {{{"facts", {{"mood", true}}}}, "'mood' is not a fact"},
      {{{"colour", 1}}, "unknown field 'colour'"},
      {json::array(), "must be an object"},
  };
  for (const auto& [patch, want] : cases) {
    const Status st = MergeAnswers(f, patch, a);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << patch.dump();
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
    EXPECT_EQ(AnswersToJson(a), before);
  }
  ASSERT_TRUE(MergeAnswers(f, {{"answers", {{"a.one", nullptr}}}}, a).ok());
  EXPECT_EQ(a.questions.count("a.one"), 0u);
}

TEST(ScoringTest, ConditionsUseThreeValuedLogic) {
  const json c = {{"any", {{{"fact", "x"}, {"gt", 5}}, {{"fact", "y"}, {"eq", true}}}}};
  EXPECT_EQ(Evaluate(c, {}), Truth::kUnknown);
  EXPECT_EQ(Evaluate(c, {{"y", true}}), Truth::kTrue);  // decided without x
  EXPECT_EQ(Evaluate(c, {{"x", 1}}), Truth::kUnknown);
  EXPECT_EQ(Evaluate(c, {{"x", 1}, {"y", false}}), Truth::kFalse);
  EXPECT_EQ(Evaluate({{"not", c}}, {{"x", 9}}), Truth::kFalse);
  EXPECT_EQ(Evaluate({{"fact", "x"}, {"le", 5}}, {{"x", 5.0}}), Truth::kTrue);
}

}  // namespace
}  // namespace daulat::assessment
