#include "governance/policy.h"

#include <gtest/gtest.h>

#include "test_database.h"
#include "tiny_model.h"

namespace daulat::governance {
namespace {

TEST(PolicyTest, ParsesLevelsByMalayOrEnglishNameAndFailsClosedForMissingOnes) {
  auto p = ParsePolicy(R"({"levels": {
      "TERBUKA": {"models": ["*"], "backends": ["*"], "pii_prompt": "allow"},
      "confidential": {"models": ["gemma3-270m"], "pii_prompt": "block", "pii_output": "mask",
                       "content_logging": "none", "retention_days": 30}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->at(Classification::kTerbuka).pii_prompt, PiiMode::kAllow);
  const auto& sulit = p->at(Classification::kSulit);
  EXPECT_EQ(sulit.models, std::vector<std::string>{"gemma3-270m"});
  EXPECT_EQ(sulit.backends, std::vector<std::string>{"local"});
  EXPECT_EQ(sulit.pii_prompt, PiiMode::kBlock);
  EXPECT_EQ(sulit.content_logging, ContentLogging::kNone);
  EXPECT_EQ(sulit.retention_days, 30);
  // RAHSIA was left out: nothing is allowed there.
  const auto d = DecideModel(*p, Classification::kRahsia, "gemma3-270m",
                             Classification::kRahsiaBesar, "local", Classification::kRahsiaBesar);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("RAHSIA"), std::string::npos) << d.reason;
  // The JSON form parses back to the same rules.
  auto again = ParsePolicy(PolicyToJson(*p));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->at(Classification::kSulit).models, sulit.models);
  EXPECT_EQ(again->at(Classification::kRahsia).models.size(), 0u);
}

TEST(PolicyTest, BadDocumentsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"levelz": {}})", "levelz"},
      {R"({"levels": []})", "levels must be an object"},
      {R"({"levels": {"SECRETISH": {}}})", "levels.SECRETISH"},
      {R"({"levels": {"SULIT": {"pii_prompt": "redact"}}})", "levels.SULIT.pii_prompt"},
      {R"({"levels": {"SULIT": {"models": "all"}}})", "levels.SULIT.models"},
      {R"({"levels": {"SULIT": {"retention_days": 0}}})", "levels.SULIT.retention_days"},
      {R"({"levels": {"SULIT": {"content_logging": "some"}}})", "levels.SULIT.content_logging"},
      {R"({"levels": {"SULIT": {"colour": "red"}}})", "levels.SULIT.colour"},
      {R"({"levels": {"SULIT": {}, "confidential": {}}})", "given twice"},
  };
  for (const auto& [doc, expected] : cases) {
    const auto p = ParsePolicy(doc);
    ASSERT_FALSE(p.ok()) << doc;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << doc;
    EXPECT_NE(p.status().message().find(expected), std::string::npos)
        << doc << " -> " << p.status().message();
  }
}

TEST(PolicyTest, DecisionsCheckModelBackendAndEachOnesHighestLevel) {
  const Policy p = DefaultPolicy();
  const auto top = Classification::kRahsiaBesar;
  EXPECT_TRUE(DecideModel(p, Classification::kSulit, "m", top, "local", top).allowed);
  // Remote backends only for TERBUKA by default.
  const auto remote = DecideModel(p, Classification::kSulit, "m", top, "mdec-cloud", top);
  EXPECT_FALSE(remote.allowed);
  EXPECT_NE(remote.reason.find("mdec-cloud"), std::string::npos);
  EXPECT_TRUE(
      DecideModel(p, Classification::kTerbuka, "m", top, "mdec-cloud", Classification::kTerbuka)
          .allowed);
  const auto model_cap =
      DecideModel(p, Classification::kRahsia, "m", Classification::kSulit, "local", top);
  EXPECT_FALSE(model_cap.allowed);
  EXPECT_NE(model_cap.reason.find("at most SULIT"), std::string::npos) << model_cap.reason;
}

TEST(PolicyStoreTest, EveryPutIsANewVersionPerTenant) {
  const auto dir = testing::MakeTempDir("policy");
  auto db = testing::OpenTestDatabase(dir);
  const ManualClock clock(1'800'000'000);
  auto store = std::move(PolicyStore::Open(*db, clock)).value();
  auto current = store->Current("jpn");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 0);  // the built-in default
  const char* doc = R"({"levels": {"TERBUKA": {"models": ["*"], "pii_prompt": "block"}}})";
  auto v1 = store->Put("jpn", doc, "key:a");
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  auto v2 = store->Put("jpn", doc, "user:aminah");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  auto now_current = store->Current("jpn");
  EXPECT_EQ(now_current->version, 2);
  EXPECT_EQ(now_current->updated_by, "user:aminah");
  EXPECT_EQ(now_current->at(Classification::kTerbuka).pii_prompt, PiiMode::kBlock);
  EXPECT_EQ(store->History("jpn")->size(), 2u);
  // Another tenant is untouched.
  EXPECT_EQ(store->Current("kkm")->version, 0);
  EXPECT_EQ(store->History("kkm")->size(), 0u);
  // A bad document changes nothing.
  EXPECT_EQ(store->Put("jpn", "{", "key:a").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->History("jpn")->size(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace daulat::governance
