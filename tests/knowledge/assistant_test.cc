// Lumin's assistant against a fake model: the exact prompts it builds, the
// citations and labels it returns, its refusals, and what it never sends.
#include "knowledge/assistant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "test_database.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

// A model that answers from a script and records everything it was asked.
class FakeModel : public TextGenerator {
 public:
  std::vector<std::string> answers;  // in order; the last one repeats
  std::optional<Classification> opened;
  std::vector<GroundedPrompt> prompts;
  Status open_status;
  bool block_passages_with_digits = false;

  Status Open(Classification level) override {
    opened = level;
    return open_status;
  }
  Result<GuardedSources> Guard(std::string_view question,
                               const std::vector<std::string_view>& passages) override {
    GuardedSources g{std::string(question), {}, {}};
    for (size_t i = 0; i < passages.size(); ++i) {
      if (block_passages_with_digits &&
          passages[i].find_first_of("0123456789") != std::string_view::npos)
        continue;
      g.passages.emplace_back(passages[i]);
      g.kept.push_back(i);
    }
    return g;
  }
  Result<std::string> Generate(const GroundedPrompt& prompt, int /*max_tokens*/,
                               const std::function<void(const std::string&)>& on_text) override {
    prompts.push_back(prompt);
    const std::string a =
        answers.empty() ? "" : answers[std::min(prompts.size(), answers.size()) - 1];
    if (on_text) on_text(a);
    return a;
  }
};

AskRequest Question(std::string text, bool check_support = false) {
  AskRequest r;
  r.question = std::move(text);
  r.check_support = check_support;
  return r;
}

class AssistantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("assistant");
    db_ = testing::OpenTestDatabase(dir_);
    blobs_ = std::move(store::BlobStore::Open(dir_ / "blobs")).value();
    lib_ = std::move(Library::Open(*db_, *blobs_)).value();
    conversations_ = std::move(Conversations::Open(*db_)).value();
    ASSERT_TRUE(lib_->CreateCollection("jpn", "sop", "SOP", "").ok());
    Add("fees.md", "# Fees\n\nThe passport renewal fee is RM200 for five years.",
        Classification::kTerbuka);
    Add("secret.md", "# Operation\n\nThe convoy leaves Subang at dawn on Tuesday.",
        Classification::kRahsia);
  }
  void TearDown() override {
    conversations_.reset();
    lib_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Add(const std::string& name, const std::string& text, Classification c) {
    DocumentOptions o;
    o.collection = "sop";
    o.source_name = name;
    o.classification = c;
    o.actor = "key:test";
    ASSERT_TRUE(lib_->AddDocument(OperatorReader("jpn"), text, o).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<Library> lib_;
  std::unique_ptr<Conversations> conversations_;
};

TEST_F(AssistantTest, AnAnswerCitesItsSourcesAndCarriesTheirLabel) {
  const Assistant assistant(*lib_, conversations_.get());
  FakeModel model;
  model.answers = {"The fee is RM200 [1]."};
  std::string streamed;
  auto r = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                         Question("What is the passport renewal fee?"), model,
                         [&streamed](const std::string& t) { streamed += t; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(model.prompts.size(), 1u);
  EXPECT_EQ(model.opened, Classification::kTerbuka);
  // The passage is delimited as data in the prompt; the question is there too.
  EXPECT_NE(model.prompts[0].user.find("<source n=\"1\""), std::string::npos)
      << model.prompts[0].user;
  EXPECT_NE(model.prompts[0].user.find("RM200 for five years"), std::string::npos);
  EXPECT_NE(model.prompts[0].user.find("What is the passport renewal fee?"), std::string::npos);
  EXPECT_EQ(r->answer.answer, "The fee is RM200 [1].");
  EXPECT_EQ(r->answer.cited, std::vector<int>{1});
  EXPECT_FALSE(r->answer.refused);
  EXPECT_EQ(r->answer.classification, Classification::kTerbuka);
  EXPECT_EQ(streamed, "The fee is RM200 [1].");
  EXPECT_EQ(ToJson(*r)["citations"][0]["title"], "Fees");
}

TEST_F(AssistantTest, AnAnswerTheCitedSourcesDoNotStateBecomesTheRefusal) {
  const Assistant assistant(*lib_, conversations_.get());
  // The model answers a question the fees page cannot answer, citing it;
  // asked whether the source states that answer, it says NO.
  FakeModel model;
  model.answers = {"The office closes at 4 p.m. on Fridays [1].", "NO"};
  std::string streamed;
  auto r = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                         Question("When does the passport office close on Friday?", true), model,
                         [&streamed](const std::string& t) { streamed += t; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(model.prompts.size(), 2u);
  const GroundedPrompt& check = model.prompts[1];
  // The check reads the cited source, the question and the answer without its markers.
  EXPECT_NE(check.user.find("RM200 for five years"), std::string::npos) << check.user;
  EXPECT_NE(check.user.find("When does the passport office close on Friday?"), std::string::npos);
  EXPECT_NE(check.user.find("Answer: The office closes at 4 p.m. on Fridays ."), std::string::npos)
      << check.user;
  EXPECT_TRUE(r->answer.refused);
  EXPECT_TRUE(r->answer.cited.empty());
  EXPECT_EQ(r->answer.answer, RefusalText("en"));
  EXPECT_EQ(ToJson(*r)["citations"].size(), 0u);

  // YES (or a reply that is neither) leaves a supported answer as it was.
  for (const char* verdict : {"YES", "Ya.", "The source says so"}) {
    FakeModel agrees;
    agrees.answers = {"The fee is RM200 [1].", verdict};
    auto a = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                           Question("What is the passport renewal fee?", true), agrees);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(agrees.prompts.size(), 2u);
    EXPECT_EQ(a->answer.answer, "The fee is RM200 [1].") << verdict;
  }
  // A refusal is not checked: one model call.
  FakeModel refuses;
  refuses.answers = {RefusalText("en")};
  ASSERT_TRUE(assistant
                  .Ask({"jpn", Classification::kTerbuka, {}},
                       Question("What is the passport renewal fee?", true), refuses)
                  .ok());
  EXPECT_EQ(refuses.prompts.size(), 1u);
}

TEST_F(AssistantTest, NothingTheReaderMayNotSeeReachesTheModel) {
  const Assistant assistant(*lib_, conversations_.get());
  FakeModel model;
  model.answers = {"It leaves at dawn [1]."};
  // A TERBUKA reader asking about the RAHSIA convoy: the passage never
  // reaches the model, and the answer is no higher than what they may see.
  auto r = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                         Question("When does the convoy leave Subang?"), model);
  ASSERT_TRUE(r.ok());
  for (const auto& p : model.prompts) EXPECT_EQ(p.user.find("Subang at dawn"), std::string::npos);
  for (const auto& s : r->sources) EXPECT_EQ(s.classification, Classification::kTerbuka);
  EXPECT_EQ(r->answer.classification, Classification::kTerbuka);
  EXPECT_EQ(model.opened.value_or(Classification::kTerbuka), Classification::kTerbuka);

  // A RAHSIA reader gets it, labelled RAHSIA, and the policy is asked at RAHSIA.
  FakeModel cleared;
  cleared.answers = {"It leaves at dawn on Tuesday [1]."};
  auto s = assistant.Ask({"jpn", Classification::kRahsia, {}},
                         Question("When does the convoy leave Subang?"), cleared);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(cleared.opened, Classification::kRahsia);
  EXPECT_EQ(s->answer.classification, Classification::kRahsia);
  EXPECT_FALSE(s->answer.refused);
}

TEST_F(AssistantTest, AnUncitedGuessAndAPolicyRefusalBothEndWithoutAnAnswer) {
  const Assistant assistant(*lib_, conversations_.get());
  FakeModel guessing;
  guessing.answers = {"Probably around fifty ringgit, ask the counter."};
  auto r = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                         Question("What is the passport renewal fee?"), guessing);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->answer.refused);

  FakeModel refused;
  refused.open_status = PermissionDenied("policy v2 does not allow the model at TERBUKA");
  auto denied = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                              Question("What is the passport renewal fee?"), refused);
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(refused.prompts.empty());

  // Every passage withheld by the personal-data rule: the refusal, counted.
  FakeModel blocking;
  blocking.block_passages_with_digits = true;
  auto withheld = assistant.Ask({"jpn", Classification::kTerbuka, {}},
                                Question("What is the passport renewal fee?"), blocking);
  ASSERT_TRUE(withheld.ok());
  EXPECT_TRUE(blocking.prompts.empty());
  EXPECT_TRUE(withheld->answer.refused);
  EXPECT_EQ(withheld->withheld, 1u);
  EXPECT_EQ(ToJson(*withheld)["pii_withheld"], 1);
}

TEST_F(AssistantTest, AConversationGivesTheModelItsEarlierTurnsAndKeepsTheNewOne) {
  const Assistant assistant(*lib_, conversations_.get());
  auto c = conversations_->Create("jpn", "key:a", "");
  ASSERT_TRUE(c.ok());
  FakeModel model;
  model.answers = {"The fee is RM200 [1].", "It lasts five years [1]."};
  AskRequest first = Question("What is the passport renewal fee?");
  first.conversation_id = c->id;
  first.owner = "key:a";
  ASSERT_TRUE(assistant.Ask({"jpn", Classification::kTerbuka, {}}, first, model).ok());
  AskRequest follow = Question("For how long?");
  follow.conversation_id = c->id;
  follow.owner = "key:a";
  auto r = assistant.Ask({"jpn", Classification::kTerbuka, {}}, follow, model);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(model.prompts.size(), 2u);
  ASSERT_EQ(model.prompts[1].history.size(), 1u);
  EXPECT_EQ(model.prompts[1].history[0].first, "What is the passport renewal fee?");
  EXPECT_EQ(model.prompts[1].history[0].second, "The fee is RM200 [1].");
  EXPECT_EQ(ToJson(*r)["conversation_id"], c->id);
  auto turns = conversations_->Read(
      "jpn", "key:a", c->id, Classification::kTerbuka, [](const std::string&) { return true; }, 10);
  ASSERT_TRUE(turns.ok());
  EXPECT_EQ(turns->turns.size(), 2u);
  // Someone else's credential cannot continue it.
  AskRequest stranger = follow;
  stranger.owner = "key:b";
  EXPECT_EQ(assistant.Ask({"jpn", Classification::kTerbuka, {}}, stranger, model).status().code(),
            StatusCode::kNotFound);
}

// A follow-up answer is written with the earlier turns in view, so it
// carries their sources: whoever may no longer see those does not see it.
TEST_F(AssistantTest, AFollowUpCarriesTheSourcesOfTheTurnsItSaw) {
  Add("cuti.md", "# Cuti\n\nCuti tahunan pegawai ialah 25 hari.", Classification::kTerbuka);
  Add("kenderaan.md", "# Kenderaan\n\nKenderaan jabatan diletakkan di Blok C.",
      Classification::kTerbuka);
  const Assistant assistant(*lib_, conversations_.get());
  auto c = conversations_->Create("jpn", "key:a", "");
  FakeModel model;
  model.answers = {"Cuti tahunan ialah 25 hari [1].", "Di Blok C [1]; cuti 25 hari."};
  AskRequest first = Question("Berapa hari cuti tahunan pegawai?");
  first.conversation_id = c->id;
  first.owner = "key:a";
  const Reader reader{"jpn", Classification::kTerbuka, {}};
  ASSERT_TRUE(assistant.Ask(reader, first, model).ok());
  AskRequest follow = Question("Di manakah kenderaan jabatan diletakkan oleh pemandu sekarang?");
  follow.conversation_id = c->id;
  follow.owner = "key:a";
  ASSERT_TRUE(assistant.Ask(reader, follow, model).ok());
  const auto all = [](const std::string&) { return true; };
  auto turns = conversations_->Read("jpn", "key:a", c->id, Classification::kTerbuka, all, 10);
  ASSERT_EQ(turns->turns.size(), 2u);
  const std::set<std::string> first_docs(turns->turns[0].document_ids.begin(),
                                         turns->turns[0].document_ids.end());
  ASSERT_FALSE(first_docs.empty());
  // A reader who may no longer see the first turn's sources sees neither turn.
  auto lost = conversations_->Read(
      "jpn", "key:a", c->id, Classification::kTerbuka,
      [&](const std::string& id) { return first_docs.count(id) == 0; }, 10);
  EXPECT_TRUE(lost->turns.empty());
  EXPECT_EQ(lost->withheld, 2);
}

TEST_F(AssistantTest, ATurnThePersonalDataRuleWithholdsLeavesTheContextNotTheConversation) {
  Add("leave.md", "# Leave\n\nOfficers are entitled to annual leave as the circular sets out.",
      Classification::kTerbuka);
  const Assistant assistant(*lib_, conversations_.get());
  auto c = conversations_->Create("jpn", "key:a", "");
  ASSERT_TRUE(c.ok());
  FakeModel plain;
  plain.answers = {"The fee is RM200 [1]."};
  AskRequest first = Question("What is the passport renewal fee?");
  first.conversation_id = c->id;
  first.owner = "key:a";
  ASSERT_TRUE(assistant.Ask({"jpn", Classification::kTerbuka, {}}, first, plain).ok());
  // Now the rule withholds texts with digits: the earlier answer ("RM200")
  // stays out of the model's context, and the new question is still answered.
  FakeModel blocking;
  blocking.block_passages_with_digits = true;
  blocking.answers = {"Officers get annual leave [1]."};
  AskRequest next = Question("What annual leave are officers entitled to?");
  next.conversation_id = c->id;
  next.owner = "key:a";
  auto r = assistant.Ask({"jpn", Classification::kTerbuka, {}}, next, blocking);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(blocking.prompts.size(), 1u);
  EXPECT_TRUE(blocking.prompts[0].history.empty());
  EXPECT_EQ(blocking.prompts[0].user.find("RM200"), std::string::npos);
  EXPECT_FALSE(r->answer.refused);
}

TEST_F(AssistantTest, ASummaryKeepsOnlyPointsItsPassagesSupport) {
  const Assistant assistant(*lib_, conversations_.get());
  FakeModel model;
  model.answers = {
      "- The passport renewal fee is RM200 for five years [1]\n- Unicorns fly over the city at "
      "night"};
  SummarizeRequest request;
  request.scope.collection = "sop";
  auto r = assistant.Summarize({"jpn", Classification::kTerbuka, {}}, request, model);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(model.opened, Classification::kTerbuka);  // the RAHSIA document was never read
  for (const auto& p : model.prompts) EXPECT_EQ(p.user.find("at dawn"), std::string::npos);
  ASSERT_EQ(r->summary.points.size(), 1u);
  EXPECT_NE(r->summary.points[0].text.find("RM200"), std::string::npos);
  EXPECT_EQ(r->summary.dropped_points, 1u);
  EXPECT_EQ(r->read.passages.size(), 1u);
}

}  // namespace
}  // namespace daulat::knowledge
