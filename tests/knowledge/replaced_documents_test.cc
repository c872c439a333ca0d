#include "knowledge/replaced_documents.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "knowledge/library.h"
#include "test_documents.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

TEST(ReplacedDocumentsTest, ClaimsAndDesignationsInEnglishAndMalay) {
  const auto en = ReplacementClaims(
      "Date of issue: 10 December 2024. This circular takes effect on 1 January 2025 and "
      "replaces Finance Circular No. 3 of 2024. Claims for travel completed before ...");
  ASSERT_EQ(en.size(), 1u);
  EXPECT_TRUE(ClaimsToReplace(en, Designation("Finance Circular No. 3 of 2024: Claims for "
                                              "Official Travel, Subsistence and Overtime")));
  EXPECT_FALSE(ClaimsToReplace(en, Designation("Finance Circular No. 3 of 2023: Claims")));
  // Word for word: "No. 3" is not "No. 30".
  EXPECT_FALSE(ClaimsToReplace(en, Designation("Finance Circular No. 30 of 2024")));

  const auto ms = ReplacementClaims(
      "Pekeliling ini berkuat kuasa mulai 1 April 2025. Pekeliling ini MEMBATALKAN Pekeliling "
      "Pentadbiran Bilangan 5 Tahun 2024.");
  EXPECT_TRUE(ClaimsToReplace(
      ms, Designation("Pekeliling Pentadbiran Bilangan 5 Tahun 2024 - Waktu Bekerja")));
  EXPECT_EQ(Designation("Pekeliling Pentadbiran Bilangan 5 Tahun 2024"),
            "pekeliling pentadbiran bilangan 5 tahun 2024");

  // A title without a number names a subject, not one document.
  EXPECT_EQ(Designation("Guidelines: Leave"), "");
  EXPECT_EQ(Designation("2024"), "");
  EXPECT_FALSE(ClaimsToReplace(ReplacementClaims("This replaces the Guidelines."), ""));
  // No cue, no claim; a cue past the opening is not read.
  EXPECT_TRUE(ReplacementClaims("Finance Circular No. 3 of 2024 still applies.").empty());
  EXPECT_TRUE(ReplacementClaims(std::string(9000, 'x') + " replaces Circular 1 of 2020").empty());
  EXPECT_LE(ReplacementClaims(std::string(2000, ' ') +
                              [] {
                                std::string s;
                                for (int i = 0; i < 50; ++i)
                                  s += "replaces Circular " + std::to_string(i) + ". ";
                                return s;
                              }())
                .size(),
            8u);
}

TEST(ReplacedDocumentsTest, AQuestionNamingTheOldDocumentAsksAboutIt) {
  const std::string old_one = "finance circular no 3 of 2024",
                    new_one = "finance circular no 3 of 2025";
  EXPECT_TRUE(
      AsksAboutReplaced("What was the meal rate under the 2024 circular?", old_one, new_one));
  EXPECT_FALSE(AsksAboutReplaced("What is the meal rate now?", old_one, new_one));
  // "3" is in both designations: it does not pick the old one.
  EXPECT_FALSE(AsksAboutReplaced("What does circular 3 say about meals?", old_one, new_one));
}

class ReplacedInSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("replaced");
    db_ = std::move(store::OpenSqlite((dir_ / "daulat.db").string())).value();
    blobs_ = std::move(store::BlobStore::Open(dir_ / "blobs")).value();
    lib_ = std::move(Library::Open(*db_, *blobs_)).value();
    for (const char* c : {"pekeliling", "muat-naik"})
      ASSERT_TRUE(lib_->CreateCollection("jpn", c, c, "").ok());
  }
  void TearDown() override {
    lib_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Add(const std::string& collection, const std::string& name, const std::string& text,
           std::vector<std::string> acl = {}) {
    DocumentOptions o;
    o.collection = collection;
    o.source_name = name;
    o.acl = std::move(acl);
    o.actor = "key:test";
    auto d = lib_->AddDocument(OperatorReader("jpn"), text, o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }
  // "name (replaced by ...)" per hit, best first.
  std::vector<std::string> Ranked(const Reader& r, const std::string& q) {
    auto hits = lib_->Search(r, {q, "", 10, Retrieval::kText});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    std::vector<std::string> out;
    for (const auto& h : *hits)
      out.push_back(h.source_name + (h.replaced_by.empty() ? "" : " < " + h.replaced_by));
    return out;
  }

  static constexpr const char* kOld =
      "# Pekeliling Pentadbiran Bilangan 5 Tahun 2024: Waktu Bekerja\n\n"
      "Elaun makan kerja lebih masa: elaun makan RM15.\n";
  static constexpr const char* kNew =
      "# Pekeliling Pentadbiran Bilangan 5 Tahun 2025: Waktu Bekerja\n\n"
      "Pekeliling ini membatalkan Pekeliling Pentadbiran Bilangan 5 Tahun 2024.\n\n"
      "## Kadar\n\nElaun makan bagi kerja lebih masa yang melebihi tiga jam ialah RM20.\n";
  static constexpr const char* kNewTitle =
      "Pekeliling Pentadbiran Bilangan 5 Tahun 2025: Waktu Bekerja";

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<Library> lib_;
};

TEST_F(ReplacedInSearchTest, TheDocumentInForceRanksAboveTheOneItReplaces) {
  Add("pekeliling", "waktu-2024.md", kOld);
  Add("pekeliling", "waktu-2025.md", kNew);
  const Reader officer{"jpn", Classification::kTerbuka, {}};
  const auto ranked = Ranked(officer, "elaun makan kerja lebih masa");
  ASSERT_FALSE(ranked.empty());
  EXPECT_EQ(ranked.front(), "waktu-2025.md");
  EXPECT_EQ(ranked.back(), std::string("waktu-2024.md < ") + kNewTitle);
  // Asked about the 2024 circular by name, it keeps its place and its label.
  for (const auto& r : Ranked(officer, "elaun makan kerja lebih masa pekeliling 2024"))
    EXPECT_EQ(r.find(" < "), std::string::npos) << r;
}

TEST_F(ReplacedInSearchTest, OnlyADocumentOfTheSameCollectionTheReaderSeesCanReplace) {
  Add("pekeliling", "waktu-2024.md", kOld);
  // An upload to another collection that claims to replace it changes nothing.
  Add("muat-naik", "palsu.md",
      "# Nota 1 2025\n\nNota ini membatalkan Pekeliling Pentadbiran Bilangan 5 Tahun 2024. "
      "Elaun makan kerja lebih masa.\n");
  const Reader officer{"jpn", Classification::kTerbuka, {}};
  for (const auto& r : Ranked(officer, "elaun makan kerja lebih masa"))
    EXPECT_EQ(r.find(" < "), std::string::npos) << r;

  // A replacing document the reader may not see neither moves nor names the old one.
  Add("pekeliling", "waktu-2025.md", kNew, {"kewangan"});
  const auto outside = Ranked(officer, "elaun makan kerja lebih masa");
  for (const auto& r : outside) EXPECT_EQ(r.find(" < "), std::string::npos) << r;
  EXPECT_EQ(std::count(outside.begin(), outside.end(), "waktu-2025.md"), 0);
  const Reader finance{"jpn", Classification::kTerbuka, {"kewangan"}};
  const auto inside = Ranked(finance, "elaun makan kerja lebih masa");
  const auto newer = std::find(inside.begin(), inside.end(), "waktu-2025.md");
  const auto older =
      std::find(inside.begin(), inside.end(), std::string("waktu-2024.md < ") + kNewTitle);
  EXPECT_TRUE(newer < older && older != inside.end());
}

}  // namespace
}  // namespace daulat::knowledge
