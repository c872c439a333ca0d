#include "knowledge/replaced_documents.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "knowledge/library.h"
#include "test_database.h"
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
  // "Is replaced by" names the newer document: no claim either way.
  EXPECT_TRUE(ReplacementClaims("This circular is superseded by Finance Circular No. 5 of 2025 "
                                "and replaced by the guide; digantikan oleh Pekeliling 1/2026.")
                  .empty());
  // A word is cut at 40 bytes, so a claim stays small whatever the upload.
  const auto huge = ReplacementClaims("replaces " + std::string(7000, 'a'));
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_EQ(huge[0].size(), 40u);
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
    db_ = testing::OpenTestDatabase(dir_);
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
           std::vector<std::string> acl = {},
           Classification classification = Classification::kTerbuka) {
    DocumentOptions o;
    o.collection = collection;
    o.source_name = name;
    o.acl = std::move(acl);
    o.classification = classification;
    o.actor = "key:test";
    auto d = lib_->AddDocument(OperatorReader("jpn"), text, o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }
  // "name (replaced by ...)" per hit, best first.
  std::vector<std::string> Ranked(const Reader& r, const std::string& q, size_t top_k = 10) {
    auto hits = lib_->Search(r, {q, "", top_k, Retrieval::kText});
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

TEST_F(ReplacedInSearchTest, AnUploaderCannotMarkADocumentTheyCouldNotHaveWrittenAsReplaced) {
  const Reader rahsia{"jpn", Classification::kRahsia, {"kewangan"}};
  // The circulars under attack are never labelled replaced (the uploads may
  // well replace one another: that is their own business).
  const auto none_replaced = [&](const std::string& q) {
    for (const auto& r : Ranked(rahsia, q)) {
      if (r.find(" < ") == std::string::npos) continue;
      for (const char* target : {"waktu-2024.md", "kewangan-2024.md", "c1.md", "c2.md", "c3.md"})
        EXPECT_NE(r.rfind(target, 0), 0u) << r;
    }
  };
  // A RAHSIA circular, and a TERBUKA upload that claims to replace it.
  Add("pekeliling", "waktu-2024.md", kOld, {}, Classification::kRahsia);
  Add("pekeliling", "palsu-1.md", kNew);
  none_replaced("elaun makan kerja lebih masa");
  // A circular readable by the finance group, replaced by one every member reads.
  Add("pekeliling", "kewangan-2024.md",
      "# Arahan Kewangan Bilangan 2 Tahun 2024: Tuntutan\n\nTuntutan elaun dalam 30 hari.\n",
      {"kewangan"});
  Add("pekeliling", "palsu-2.md",
      "# Arahan Kewangan Bilangan 2 Tahun 2025: Tuntutan\n\nArahan ini membatalkan Arahan "
      "Kewangan Bilangan 2 Tahun 2024.\n\n## Tuntutan\n\nTuntutan elaun dalam 90 hari.\n");
  none_replaced("tuntutan elaun");
  // A copy under the old one's own name, and one "replacing" three circulars at once.
  Add("pekeliling", "salinan.md",
      "# Pekeliling Pentadbiran Bilangan 5 Tahun 2024: Salinan\n\nPekeliling ini membatalkan "
      "Pekeliling Pentadbiran Bilangan 5 Tahun 2024. Elaun makan kerja lebih masa RM99.\n");
  for (int i = 1; i <= 3; ++i)
    Add("pekeliling", "c" + std::to_string(i) + ".md",
        "# Surat Edaran Bilangan " + std::to_string(i) +
            " Tahun 2020: Cuti\n\nCuti tanpa gaji diluluskan oleh ketua jabatan.\n");
  Add("pekeliling", "semua.md",
      "# Surat Edaran Bilangan 9 Tahun 2025: Cuti\n\nSurat ini membatalkan Surat Edaran Bilangan 1 "
      "Tahun 2020, membatalkan Surat Edaran Bilangan 2 Tahun 2020 dan membatalkan Surat Edaran "
      "Bilangan 3 Tahun 2020. Cuti tanpa gaji diluluskan oleh ketua setiausaha.\n");
  none_replaced("elaun makan kerja lebih masa");
  none_replaced("cuti tanpa gaji diluluskan");
}

TEST_F(ReplacedInSearchTest, ALabelNamesOnlyADocumentAmongTheHits) {
  // The old circular matches many times over, the new one once and weakly:
  // with three hits the old one's passages still fill them (moved down
  // behind nothing that matches), and none may name a document not shown.
  std::string old_text = "# Pekeliling Pentadbiran Bilangan 5 Tahun 2024: Waktu Bekerja\n\n";
  for (int i = 0; i < 8; ++i)
    old_text += "## Bahagian " + std::to_string(i) + "\n\nElaun makan elaun makan RM1" +
                std::to_string(i) + ".\n\n";
  Add("pekeliling", "waktu-2024.md", old_text);
  Add("pekeliling", "waktu-2025.md",
      "# Pekeliling Pentadbiran Bilangan 5 Tahun 2025: Waktu Bekerja\n\nPekeliling ini "
      "membatalkan Pekeliling Pentadbiran Bilangan 5 Tahun 2024. Waktu bekerja, kehadiran, rehat, "
      "cuti, kerja lebih masa, tuntutan dan elaun makan diatur seperti berikut dalam pekeliling "
      "ini bagi semua jabatan negeri.\n");
  const Reader officer{"jpn", Classification::kTerbuka, {}};
  const auto three = Ranked(officer, "elaun makan", 3);
  ASSERT_EQ(three.size(), 3u);
  for (const auto& r : three) {
    if (r.rfind("waktu-2024.md", 0) == 0) {
      EXPECT_EQ(r, "waktu-2024.md") << "labelled by a document not among the hits";
    }
  }
  // With room for both, the label is there.
  const auto all = Ranked(officer, "elaun makan", 20);
  EXPECT_NE(std::find(all.begin(), all.end(), std::string("waktu-2024.md < ") + kNewTitle),
            all.end());
}

}  // namespace
}  // namespace daulat::knowledge
