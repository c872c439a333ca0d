#include "knowledge/conversations.h"

#include <gtest/gtest.h>

#include "store/database.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

bool Everything(const std::string& /*document_id*/) {
  return true;
}

class ConversationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("conversations");
    db_ = testing::OpenTestDatabase(dir_);
    conversations_ = std::move(Conversations::Open(*db_)).value();
  }
  void TearDown() override {
    conversations_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  static Turn MakeTurn(const std::string& q, Classification c, std::vector<std::string> docs) {
    Turn t;
    t.question = q;
    t.answer = "Jawapan untuk " + q + " [1]";
    t.citations = nlohmann::json::array({{{"n", 1}, {"document_id", docs.at(0)}}});
    t.classification = c;
    t.document_ids = std::move(docs);
    return t;
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Conversations> conversations_;
};

TEST_F(ConversationsTest, TurnsAreKeptInOrderForTheirOwnerOnly) {
  auto c = conversations_->Create("jpn", "user:ali", "");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->id.rfind("conv_", 0), 0u);
  for (int i = 1; i <= 4; ++i)
    ASSERT_TRUE(conversations_
                    ->Append("jpn", "user:ali", c->id,
                             MakeTurn("soalan " + std::to_string(i), Classification::kTerbuka,
                                      {"doc_" + std::to_string(i)}))
                    .ok());
  auto read =
      conversations_->Read("jpn", "user:ali", c->id, Classification::kTerbuka, Everything, 3);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->turns.size(), 3u);  // the last three, oldest first
  EXPECT_EQ(read->turns[0].question, "soalan 2");
  EXPECT_EQ(read->turns[2].seq, 4);
  EXPECT_EQ(read->turns[2].citations[0]["document_id"], "doc_4");
  auto got = conversations_->Get("jpn", "user:ali", c->id);
  EXPECT_EQ(got->title, "soalan 1");  // the first question names it
  EXPECT_EQ(got->turns, 4);
  for (const auto& [tenant, owner] :
       std::vector<std::pair<std::string, std::string>>{{"jpn", "user:abu"}, {"kkm", "user:ali"}}) {
    EXPECT_EQ(conversations_->Get(tenant, owner, c->id).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(
        conversations_->Append(tenant, owner, c->id, MakeTurn("x", Classification::kTerbuka, {"d"}))
            .code(),
        StatusCode::kNotFound);
    EXPECT_EQ(conversations_->Delete(tenant, owner, c->id).code(), StatusCode::kNotFound);
    EXPECT_TRUE(conversations_->List(tenant, owner, 10)->empty());
  }
  EXPECT_EQ(conversations_->List("jpn", "user:ali", 10)->size(), 1u);
  EXPECT_EQ(conversations_->Create("jpn", "user:ali", std::string(201, 'x')).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(conversations_->Delete("jpn", "user:ali", c->id).ok());
  EXPECT_EQ(conversations_->Read("jpn", "user:ali", c->id, Classification::kTerbuka, Everything, 3)
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_F(ConversationsTest, ClearanceWithholdsAndErasureForgets) {
  auto c = conversations_->Create("jpn", "user:ali", "Pelan");
  ASSERT_TRUE(conversations_
                  ->Append("jpn", "user:ali", c->id,
                           MakeTurn("terbuka", Classification::kTerbuka, {"doc_a"}))
                  .ok());
  ASSERT_TRUE(conversations_
                  ->Append("jpn", "user:ali", c->id,
                           MakeTurn("rahsia", Classification::kRahsia, {"doc_b", "doc_a"}))
                  .ok());
  // A clearance lowered since: the RAHSIA answer is withheld, not shown.
  auto low = conversations_->Read("jpn", "user:ali", c->id, Classification::kSulit, Everything, 10);
  ASSERT_EQ(low->turns.size(), 1u);
  EXPECT_EQ(low->turns[0].question, "terbuka");
  EXPECT_EQ(low->withheld, 1);
  EXPECT_EQ(conversations_->Read("jpn", "user:ali", c->id, Classification::kRahsia, Everything, 10)
                ->turns.size(),
            2u);
  // Erasing doc_a takes both answers that drew on it; the title stays as given.
  ASSERT_TRUE(conversations_->ForgetDocument("jpn", "doc_a").ok());
  EXPECT_TRUE(
      conversations_->Read("jpn", "user:ali", c->id, Classification::kRahsia, Everything, 10)
          ->turns.empty());
  EXPECT_EQ(conversations_->Get("jpn", "user:ali", c->id)->title, "Pelan");
}

// A turn drew on a document of a group the reader has since left: the
// answer is withheld, like one above their clearance.
TEST_F(ConversationsTest, ATurnFromADocumentTheReaderNoLongerSeesIsWithheld) {
  auto c = conversations_->Create("jpn", "user:ali", "");
  ASSERT_TRUE(conversations_
                  ->Append("jpn", "user:ali", c->id,
                           MakeTurn("awam", Classification::kTerbuka, {"doc_awam"}))
                  .ok());
  ASSERT_TRUE(
      conversations_
          ->Append("jpn", "user:ali", c->id,
                   MakeTurn("risikan", Classification::kTerbuka, {"doc_awam", "doc_risikan"}))
          .ok());
  std::vector<std::string> asked;
  const auto left_the_group = [&](const std::string& document) {
    asked.push_back(document);
    return document != "doc_risikan";
  };
  auto read =
      conversations_->Read("jpn", "user:ali", c->id, Classification::kRahsia, left_the_group, 10);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->turns.size(), 1u);
  EXPECT_EQ(read->turns[0].question, "awam");
  EXPECT_EQ(read->withheld, 1);
  EXPECT_EQ(asked.size(), 2u);  // each document checked once
  // No check at all shows nothing.
  EXPECT_TRUE(conversations_->Read("jpn", "user:ali", c->id, Classification::kRahsia, nullptr, 10)
                  ->turns.empty());
}

}  // namespace
}  // namespace daulat::knowledge
