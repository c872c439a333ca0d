#include "knowledge/library.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "engine/embedder.h"
#include "engine/model.h"
#include "engine/model_import.h"
#include "knowledge/language_shift.h"
#include "knowledge/vector_backfill.h"
#include "test_database.h"
#include "test_documents.h"
#include "tiny_bert.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

class LibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("library");
    db_ = testing::OpenTestDatabase(dir_);
    blobs_ = std::move(store::BlobStore::Open(dir_ / "blobs")).value();
    lib_ = std::move(Library::Open(*db_, *blobs_)).value();
    for (const char* t : {"jpn", "kkm"}) {
      ASSERT_TRUE(lib_->CreateCollection(t, "pekeliling", "Pekeliling", "").ok());
    }
  }
  void TearDown() override {
    lib_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  DocumentInfo Add(const std::string& tenant, const std::string& name, const std::string& text,
                   Classification c = Classification::kTerbuka, std::vector<std::string> acl = {}) {
    DocumentOptions o;
    o.collection = "pekeliling";
    o.source_name = name;
    o.classification = c;
    o.acl = std::move(acl);
    o.actor = "key:test";
    auto d = lib_->AddDocument(OperatorReader(tenant), text, o);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : DocumentInfo{};
  }
  // A tiny BERT imported the way `daulat models import` does, as the embedder.
  Library::EmbedFn TinyBertEmbedder() {
    std::filesystem::remove_all(dir_ / "models");
    testing::WriteTinyBert(dir_ / "hf");
    engine::ImportOptions io;
    io.name = "tiny-bert";
    auto manifest = engine::ImportHuggingFaceModel(dir_ / "hf", dir_ / "models", io);
    EXPECT_TRUE(manifest.ok()) << manifest.status().ToString();
    auto model = engine::Model::Load(dir_ / "models" / "tiny-bert" / manifest->file);
    EXPECT_TRUE(model.ok());
    embedder_ = std::move(engine::Embedder::Create(*model, {512, 1, "", ""})).value();
    return [e = embedder_.get()](std::string_view t, Library::EmbedAs) { return e->Embed(t); };
  }
  std::vector<std::string> Titles(const Reader& r, const std::string& q) {
    auto hits = lib_->Search(r, {q, "", 10});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    std::vector<std::string> out;
    for (const auto& h : *hits) out.push_back(h.source_name);
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<Library> lib_;
  std::unique_ptr<engine::Embedder> embedder_;
};

TEST_F(LibraryTest, SearchFindsMalayMorphologyWithLocations) {
  Add("jpn", "lesen.md",
      "# Lesen Perniagaan\n\nPermohonan lesen perniagaan hendaklah dibuat dalam talian.\n\n"
      "## Yuran\n\nYuran pemprosesan ialah RM50 bagi setiap permohonan.\n");
  Add("jpn", "cuti.md", "# Cuti\n\nPegawai boleh memohon cuti rehat melalui sistem.\n");
  const Reader r{"jpn", Classification::kTerbuka, {}};
  auto hits = lib_->Search(r, {"berapakah yuran memproses permohonan", "", 5});
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  const auto& top = (*hits)[0];
  EXPECT_EQ(top.source_name, "lesen.md");
  EXPECT_EQ(top.heading_path, "Lesen Perniagaan > Yuran");
  EXPECT_NE(top.text.find("RM50"), std::string::npos);
  EXPECT_GT(top.score, 0);
  EXPECT_GT(top.char_end, top.char_start);
  // "memohon" (apply) and "permohonan" (application) share the stem "mohon".
  EXPECT_EQ(Titles(r, "mohon cuti")[0], "cuti.md");
  EXPECT_TRUE(Titles(r, "zzzz qqqq").empty());
  EXPECT_EQ(lib_->Search(r, {"", "", 5}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(lib_->Search(r, {"x", "", 0}).status().code(), StatusCode::kInvalidArgument);
}

// Large libraries leave near-universal query terms out of the text match
// (kPruneFrom chunks and more). A query none of whose terms is in the library
// finds nothing (it once made an empty match: a 400 for a valid search), and a
// term that arrives later is found at once.
TEST_F(LibraryTest, SearchInALargeLibraryFindsNewTermsAndAnswersUnknownOnes) {
  std::string text;
  for (int i = 0; i < 10400; ++i) text += "umum pekeliling baris r" + std::to_string(i) + "\n\n";
  DocumentOptions o;
  o.collection = "pekeliling";
  o.source_name = "besar.txt";
  o.actor = "key:test";
  o.chunking.target_tokens = 4;
  o.chunking.overlap_tokens = 0;
  ASSERT_TRUE(lib_->AddDocument(OperatorReader("jpn"), text, o).ok());
  ASSERT_GE(db_->Query("SELECT COUNT(*) FROM kn_chunks")->at(0).Int(0), 5000);  // pruning is on
  const Reader reader = OperatorReader("jpn");
  auto none = lib_->Search(reader, {"zirafah kasuari", "", 5});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  // A common term beside a rare one: the rare one decides.
  auto rare = lib_->Search(reader, {"umum r4321", "", 5});
  ASSERT_TRUE(rare.ok()) << rare.status().ToString();
  ASSERT_FALSE(rare->empty());
  EXPECT_NE(rare->front().text.find("r4321"), std::string::npos);
  Add("jpn", "zirafah.txt", "Zirafah di zoo negara diberi makan dua kali sehari.");
  EXPECT_EQ(Titles(reader, "zirafah kasuari"), std::vector<std::string>{"zirafah.txt"});
}

// Listing pages through every document the reader may see exactly once,
// newest first, while documents are deleted behind the cursor; the hidden
// ones never show, and a forged or malformed cursor is refused or harmless.
TEST_F(LibraryTest, ListingPagesThroughVisibleDocumentsWhileTheyChange) {
  std::set<std::string> visible;
  for (int i = 0; i < 23; ++i) {
    const auto c = i % 4 == 0 ? Classification::kRahsia : Classification::kTerbuka;
    const auto d = Add("jpn", "d" + std::to_string(i) + ".txt",
                       "Pekeliling nombor " + std::to_string(i) + " tentang cuti.", c);
    if (c == Classification::kTerbuka) visible.insert(d.id);
  }
  const Reader member{"jpn", Classification::kTerbuka, {}};
  store::PageRequest listing{5, ""};
  std::set<std::string> seen;
  int pages = 0;
  for (bool more = true; more; ++pages) {
    auto page = lib_->ListDocuments(member, "pekeliling", listing);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->items.size(), 5u);
    for (const auto& d : page->items) {
      EXPECT_TRUE(seen.insert(d.id).second) << d.id << " listed twice";
      EXPECT_EQ(d.classification, Classification::kTerbuka);
    }
    // The last document of the page is deleted before the next page is read.
    if (page->has_more) {
      ASSERT_TRUE(lib_->DeleteDocument(member, page->items.back().id).ok());
    }
    more = page->has_more;
    listing.after = page->next_after;
  }
  EXPECT_EQ(seen, visible);
  EXPECT_EQ(pages, 4);  // 17 visible, 5 a page
  for (const std::string bad : {"x", ".doc_a", "12.", "12.doc a", "99999999999999999999.doc_a",
                                "1e5.doc_a", "12.doc_a' OR 1=1 --"}) {
    auto page = lib_->ListDocuments(member, "", {5, bad});
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(lib_->ListDocuments(member, "", {0, ""}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(lib_->ListDocuments(member, "", {store::kMaxPageSize + 1, ""}).status().code(),
            StatusCode::kInvalidArgument);
  // A cursor made up past every document lists nothing, and shows nothing hidden.
  auto past = lib_->ListDocuments(member, "", {5, "1.doc_zzz"});
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->items.empty());
  EXPECT_FALSE(past->has_more);
}

// BM25 weighs a term by how many passages of the whole index hold it,
// hidden ones included: a raw score would tell a TERHAD reader whether
// RAHSIA documents mention "Helang". The scores shown come from the rank.
TEST_F(LibraryTest, ScoresShownSayNothingAboutHiddenDocuments) {
  Add("jpn", "awam.txt", "Operasi Helang dan rondaan pantai diumumkan kepada orang awam.");
  Add("jpn", "rondaan.txt", "Jadual rondaan pantai bagi bulan Mac.");
  const Reader terhad{"jpn", Classification::kTerhad, {}};
  const auto scores = [&] {
    std::vector<double> out;
    const auto hits = lib_->Search(terhad, {"operasi helang rondaan", "", 10});
    EXPECT_TRUE(hits.ok());
    for (const auto& h : hits.value()) out.push_back(h.score);
    return out;
  };
  const auto before = scores();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_DOUBLE_EQ(before[0], 1.0);
  EXPECT_LT(before[1], before[0]);
  for (int i = 0; i < 5; ++i)
    Add("jpn", "rahsia" + std::to_string(i) + ".txt",
        "Operasi Helang fasa " + std::to_string(i) + " bermula di Pelabuhan Klang.",
        Classification::kRahsia);
  EXPECT_EQ(scores(), before);
}

TEST_F(LibraryTest, RetrievalNeverReturnsWhatTheReaderMayNotSee) {
  Add("jpn", "terbuka.txt", "Garis panduan keselamatan siber untuk semua.");
  Add("jpn", "rahsia.txt", "Pelan keselamatan siber RAHSIA untuk pusat data.",
      Classification::kRahsia);
  Add("jpn", "kewangan.txt", "Keselamatan siber bahagian kewangan sahaja.",
      Classification::kTerbuka, {"kewangan"});
  Add("kkm", "kkm.txt", "Keselamatan siber hospital KKM.");

  const Reader member{"jpn", Classification::kTerhad, {}};
  EXPECT_EQ(Titles(member, "keselamatan siber"), std::vector<std::string>{"terbuka.txt"});
  const Reader finance{"jpn", Classification::kTerhad, {"kewangan", "a_b"}};
  auto seen = Titles(finance, "keselamatan siber");
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"kewangan.txt", "terbuka.txt"}));
  const Reader cleared{"jpn", Classification::kRahsia, {}};
  seen = Titles(cleared, "keselamatan siber");
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"rahsia.txt", "terbuka.txt"}));
  // Another tenant sees only its own, whatever its clearance.
  const Reader kkm{"kkm", Classification::kRahsiaBesar, {"kewangan"}};
  EXPECT_EQ(Titles(kkm, "keselamatan siber"), std::vector<std::string>{"kkm.txt"});
  // Listing and fetching follow the same rules; hidden documents are "not found".
  EXPECT_EQ(lib_->ListDocuments(member, "", {})->items.size(), 1u);
  auto page = lib_->ListDocuments(cleared, "pekeliling", {});
  ASSERT_TRUE(page.ok());
  const auto* all = &page->items;
  ASSERT_EQ(all->size(), 2u);
  const auto rahsia = std::find_if(all->begin(), all->end(), [](const DocumentInfo& d) {
    return d.source_name == "rahsia.txt";
  });
  EXPECT_EQ(lib_->GetDocument(member, rahsia->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib_->GetDocument(kkm, rahsia->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib_->OriginalBytes(member, rahsia->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib_->DeleteDocument(kkm, rahsia->id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(lib_->GetDocument(cleared, rahsia->id).ok());
}

// A group grants its own documents only: the whole name, in any case (as
// directories compare names), never a part of it or a LIKE wildcard; the
// same on SQLite and on PostgreSQL.
TEST_F(LibraryTest, AclGroupsMatchWholeNamesInAnyCase) {
  const auto finance = Add("jpn", "a.md", "Bajet.", Classification::kTerbuka, {"Kewangan"});
  const auto under = Add("jpn", "b.md", "Garis.", Classification::kTerbuka, {"a_b"});
  const auto percent = Add("jpn", "c.md", "Peratus.", Classification::kTerbuka, {"100%"});
  auto sees = [&](std::vector<std::string> groups, const DocumentInfo& d) {
    return lib_->GetDocument({"jpn", Classification::kTerbuka, std::move(groups)}, d.id).ok();
  };
  EXPECT_TRUE(sees({"kewangan"}, finance));
  EXPECT_TRUE(sees({"KEWANGAN"}, finance));
  EXPECT_FALSE(sees({"kew"}, finance));
  EXPECT_FALSE(sees({"kewangan2"}, finance));
  EXPECT_FALSE(sees({"%"}, finance));
  EXPECT_FALSE(sees({"axb"}, under));
  EXPECT_TRUE(sees({"A_B"}, under));
  EXPECT_FALSE(sees({"1000"}, percent));
  EXPECT_TRUE(sees({"100%"}, percent));
  EXPECT_FALSE(sees({}, finance));
}

TEST_F(LibraryTest, PassagesForSummariesFollowTheSameRules) {
  const auto open = Add("jpn", "terbuka.md", "# A\n\nSatu dua tiga.\n\n# B\n\nEmpat lima enam.\n");
  const auto secret = Add("jpn", "rahsia.md", "Pelan rahsia.", Classification::kRahsia);
  const auto acl =
      Add("jpn", "kewangan.md", "Bajet kewangan.", Classification::kTerbuka, {"kewangan"});
  const Reader member{"jpn", Classification::kTerhad, {}};
  auto doc = lib_->PassagesOf(member, {open.id, "", 400});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->passages.size(), 2u);
  EXPECT_EQ(doc->passages[0].heading_path, "A");  // document order
  EXPECT_EQ(doc->passages[1].heading_path, "B");
  EXPECT_FALSE(doc->truncated);
  auto one = lib_->PassagesOf(member, {open.id, "", 1});
  EXPECT_EQ(one->passages.size(), 1u);
  EXPECT_TRUE(one->truncated);
  // Hidden documents answer exactly like missing ones; a collection gives only what may be seen.
  for (const auto& id : {secret.id, acl.id, std::string("doc_missing")})
    EXPECT_EQ(lib_->PassagesOf(member, {id, "", 400}).status().code(), StatusCode::kNotFound);
  auto all = lib_->PassagesOf(member, {"", "pekeliling", 400});
  ASSERT_TRUE(all.ok());
  for (const auto& p : all->passages) EXPECT_EQ(p.document_id, open.id);
  EXPECT_EQ(
      lib_->PassagesOf({"kkm", Classification::kRahsiaBesar, {"kewangan"}}, {open.id, "", 400})
          .status()
          .code(),
      StatusCode::kNotFound);
  EXPECT_TRUE(lib_->PassagesOf({"kkm", Classification::kTerbuka, {}}, {"", "pekeliling", 9})
                  ->passages.empty());
  EXPECT_EQ(lib_->PassagesOf(member, {"", "tiada", 400}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib_->PassagesOf(member, {open.id, "pekeliling", 400}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(lib_->PassagesOf(member, {"", "", 400}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LibraryTest, DuplicatesVersionsAndDeletion) {
  const auto first = Add("jpn", "surat.txt", "Versi pertama surat pekeliling.");
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.language, "ms");
  const auto again = Add("jpn", "copy-of-surat.txt", "Versi pertama surat pekeliling.");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, first.id);
  const auto second = Add("jpn", "surat.txt", "Versi kedua surat pekeliling dengan pindaan.");
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.version, 2);
  const Reader r{"jpn", Classification::kTerbuka, {}};
  EXPECT_TRUE(Titles(r, "pertama").empty());  // the old version's text is gone from the index
  EXPECT_EQ(Titles(r, "pindaan").size(), 1u);
  EXPECT_EQ(*lib_->OriginalBytes(r, first.id), "Versi kedua surat pekeliling dengan pindaan.");
  // Each version had a blob of its own; the first one's went with it.
  EXPECT_EQ(blobs_->List()->size(), 1u);
  ASSERT_TRUE(lib_->DeleteDocument(r, first.id).ok());
  EXPECT_TRUE(blobs_->List()->empty());
  EXPECT_TRUE(Titles(r, "pindaan").empty());
  EXPECT_EQ(lib_->GetDocument(r, first.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(db_->Query("SELECT 1 FROM kn_chunks")->empty());
  EXPECT_EQ(blobs_->Get("jpn", first.id).status().code(), StatusCode::kNotFound);
}

// The attacker: a TERHAD member uploading under the name, or with the bytes,
// of a RAHSIA document (or one of a group they are not in) in the same
// collection. Their upload must neither replace it nor learn anything of it.
TEST_F(LibraryTest, UploadsNeverTouchOrRevealDocumentsTheUploaderCannotSee) {
  const std::string secret_text = "Laporan risikan: operasi bermula 3 Mac di Pelabuhan Klang.";
  const auto hidden = Add("jpn", "laporan.txt", secret_text, Classification::kRahsia);
  const auto grouped =
      Add("jpn", "gaji.txt", "Jadual gaji pegawai kanan.", Classification::kTerbuka, {"kewangan"});
  const Reader terhad{"jpn", Classification::kTerhad, {}};
  DocumentOptions o;
  o.collection = "pekeliling";
  o.classification = Classification::kTerhad;
  o.actor = "user:terhad";
  const auto upload = [&](const std::string& name, const std::string& text) {
    o.source_name = name;
    auto d = lib_->AddDocument(terhad, text, o);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : DocumentInfo{};
  };
  for (const auto& [victim, name] : {std::pair{hidden, std::string("laporan.txt")},
                                     std::pair{grouped, std::string("gaji.txt")}}) {
    // The same name: a separate document, version 1, none of the hidden one's details.
    const auto mine = upload(name, "Teks saya sendiri tentang " + name);
    EXPECT_NE(mine.id, victim.id);
    EXPECT_EQ(mine.version, 1);
    EXPECT_FALSE(mine.duplicate);
    EXPECT_EQ(mine.classification, Classification::kTerhad);
    EXPECT_TRUE(mine.acl.empty());
    // The same bytes: not matched against the hidden one either.
    const auto copy =
        upload("salinan-" + name,
               name == "laporan.txt" ? secret_text : std::string("Jadual gaji pegawai kanan."));
    EXPECT_FALSE(copy.duplicate);
    EXPECT_NE(copy.id, victim.id);
    EXPECT_EQ(copy.version, 1);
  }
  // The hidden documents are as they were.
  const Reader rahsia{"jpn", Classification::kRahsia, {"kewangan"}};
  EXPECT_EQ(*lib_->OriginalBytes(rahsia, hidden.id), secret_text);
  auto still = lib_->GetDocument(rahsia, hidden.id);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->version, 1);
  EXPECT_EQ(still->classification, Classification::kRahsia);
  EXPECT_EQ(lib_->GetDocument(rahsia, grouped.id)->version, 1);
  // Someone who sees a document still replaces it by name, and matches its bytes.
  const auto memo = Add("jpn", "memo.txt", "Memo sulit pertama.", Classification::kRahsia);
  o.source_name = "memo.txt";
  o.classification = Classification::kRahsia;
  auto next = lib_->AddDocument(rahsia, "Memo sulit kedua.", o);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->id, memo.id);
  EXPECT_EQ(next->version, 2);
  o.source_name = "lain.txt";
  auto dup = lib_->AddDocument(rahsia, "Jadual gaji pegawai kanan.", o);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  // Nothing above the uploader's clearance.
  o.classification = Classification::kSulit;
  EXPECT_EQ(lib_->AddDocument(terhad, "x", o).status().code(), StatusCode::kPermissionDenied);
}

// Two officers upload a file of the same name at the same moment: one
// document with two versions, never two documents that each later upload
// of the name would pick between.
TEST_F(LibraryTest, SimultaneousUploadsOfOneNameMakeOneDocument) {
  for (int round = 0; round < 8; ++round) {
    const std::string name = "serentak-" + std::to_string(round) + ".md";
    std::atomic<int> ready{0};
    std::vector<std::thread> uploaders;
    for (int i = 0; i < 2; ++i) {
      uploaders.emplace_back([&, i] {
        ++ready;
        while (ready < 2) std::this_thread::yield();
        Add("jpn", name, "Versi " + std::to_string(i) + " pusingan " + std::to_string(round));
      });
    }
    for (auto& t : uploaders) t.join();
    auto rows =
        db_->Query("SELECT COUNT(*), MAX(version) FROM kn_documents WHERE source_name = ?", {name});
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->front().Int(0), 1) << name;
    EXPECT_EQ(rows->front().Int(1), 2) << name;
  }
  EXPECT_EQ(blobs_->List()->size(), 8u);  // each name's replaced version left no blob
}

TEST_F(LibraryTest, OriginalsAreEncryptedAtRestAndBoundToTheirTenant) {
  const auto d =
      Add("jpn", "pdf.pdf", testing::MakePdf({"Dokumen sulit JPN."}), Classification::kSulit);
  EXPECT_EQ(d.format, "pdf");
  EXPECT_EQ(d.pages, 1);
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "blobs")) {
    if (!e.is_regular_file() || e.path().filename() == "master.key") continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(raw.find("Dokumen"), std::string::npos);
    EXPECT_EQ(raw.find("%PDF"), std::string::npos);
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(std::filesystem::status(dir_ / "blobs" / "master.key").permissions() &
                std::filesystem::perms::group_all,
            std::filesystem::perms::none);
  const std::string blob =
      db_->Query("SELECT blob_id FROM kn_documents WHERE document_id = ?", {d.id})->front().Text(0);
  EXPECT_EQ(blobs_->Get("kkm", blob).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(blobs_->Get("jpn", blob).ok());
}

TEST_F(LibraryTest, BadInputIsRefusedAndChangesNothing) {
  DocumentOptions o;
  o.collection = "nope";
  o.source_name = "a.txt";
  EXPECT_EQ(lib_->AddDocument(OperatorReader("jpn"), "teks", o).status().code(),
            StatusCode::kNotFound);
  o.collection = "pekeliling";
  EXPECT_EQ(lib_->AddDocument(OperatorReader("jpn"), std::string("\x00\x01", 2), o).status().code(),
            StatusCode::kInvalidArgument);
  o.acl = {"two words"};
  EXPECT_EQ(lib_->AddDocument(OperatorReader("jpn"), "teks", o).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(db_->Query("SELECT 1 FROM kn_documents")->empty());
  EXPECT_EQ(lib_->CreateCollection("jpn", "pekeliling", "x", "").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(lib_->CreateCollection("jpn", "Bad Id", "x", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(lib_->ListCollections("jpn")->size(), 1u);
}

// Hybrid retrieval with a real (tiny, random) BERT run by the engine: the
// vector side finds chunks without any shared word, and it filters exactly
// like the text side.
TEST_F(LibraryTest, HybridSearchAddsVectorsWithTheSameFilters) {
  const auto embed = TinyBertEmbedder();
  EXPECT_EQ(lib_->retrieval(), "bm25");
  const Reader nobody{"jpn", Classification::kTerbuka, {}};
  EXPECT_EQ(lib_->Search(nobody, {"x", "", 5, Retrieval::kVector}).status().code(),
            StatusCode::kInvalidArgument);  // no embedding model yet
  lib_->SetEmbedder("tiny-bert", embed);
  EXPECT_EQ(lib_->retrieval(), "hybrid");
  Add("jpn", "open.txt", "the capital of malaysia is kuala lumpur");
  Add("jpn", "secret.txt", "ibu negara", Classification::kRahsia);
  Add("kkm", "other.txt", "the capital of malaysia");
  const Reader member{"jpn", Classification::kTerbuka, {}};
  // No word in common with anything: only the vector side can answer, and
  // only with what the reader may see.
  for (const char* q : {"zzz", "ibu negara", "malaysia", "qqq www"}) {
    auto hits = lib_->Search(member, {q, "", 10});
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_FALSE(hits->empty()) << q;
    for (const auto& h : *hits) EXPECT_EQ(h.source_name, "open.txt") << q;
  }
  EXPECT_EQ(db_->Query("SELECT COUNT(*) FROM kn_vectors")->at(0).Int(0), 3);
  // Each index on its own: BM25 finds no shared word, vectors still only what may be seen.
  EXPECT_TRUE(lib_->Search(member, {"zzz", "", 10, Retrieval::kText})->empty());
  auto vector_only = lib_->Search(member, {"zzz", "", 10, Retrieval::kVector});
  ASSERT_EQ(vector_only->size(), 1u);
  EXPECT_EQ((*vector_only)[0].source_name, "open.txt");
  EXPECT_EQ(lib_->Search(member, {"kuala", "", 10, Retrieval::kText})->size(), 1u);
  EXPECT_EQ(ParseRetrieval("bm25"), Retrieval::kText);
  EXPECT_FALSE(ParseRetrieval("dense").has_value());
  const Reader cleared{"jpn", Classification::kRahsia, {}};
  EXPECT_EQ(Titles(cleared, "zzz").size(), 2u);
  // Deleting a document removes its vectors too.
  auto docs = lib_->ListDocuments(cleared, "", {});
  for (const auto& d : docs->items) ASSERT_TRUE(lib_->DeleteDocument(cleared, d.id).ok());
  EXPECT_TRUE(Titles(cleared, "zzz").empty());
  EXPECT_EQ(db_->Query("SELECT COUNT(*) FROM kn_vectors")->at(0).Int(0), 1);  // kkm's
}

TEST_F(LibraryTest, TheVectorIndexIsSavedReloadedAndRebuiltWhenStale) {
  const auto embed = TinyBertEmbedder();
  const auto index_dir = dir_ / "vectors";
  lib_->SetIndexDir(index_dir);
  lib_->SetEmbedder("tiny-bert", embed);
  const auto open = Add("jpn", "open.txt", "the capital of malaysia is kuala lumpur");
  const Reader member{"jpn", Classification::kTerbuka, {}};
  const auto vector_titles = [&] {
    std::vector<std::string> out;
    auto hits = lib_->Search(member, {"zzz", "", 10, Retrieval::kVector});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    if (!hits.ok()) return out;
    const std::vector<SearchHit> list = std::move(hits).value();
    for (const auto& h : list) out.push_back(h.source_name);
    return out;
  };
  EXPECT_EQ(vector_titles(), std::vector<std::string>{"open.txt"});
  // Kept in step: a document added after the index was built is found too.
  Add("jpn", "second.txt", "putrajaya is the administrative centre");
  EXPECT_EQ(vector_titles().size(), 2u);
  ASSERT_TRUE(lib_->SaveVectorIndexes().ok());
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(index_dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);  // the graph and its record

  // Reopened: the saved graph matches the database and is used.
  lib_ = std::move(Library::Open(*db_, *blobs_)).value();
  lib_->SetIndexDir(index_dir);
  lib_->SetEmbedder("tiny-bert", embed);
  EXPECT_EQ(vector_titles().size(), 2u);
  Add("jpn", "third.txt", "kuching is in sarawak");
  // Changed behind its back (another process erased a document) and then
  // saved: the saved graph's record says what it holds, which no longer
  // matches the database, so it is rebuilt, and the erased one is gone.
  {
    auto other = std::move(Library::Open(*db_, *blobs_)).value();
    other->SetEmbedder("tiny-bert", embed);
    ASSERT_TRUE(other->DeleteDocument(member, open.id).ok());
  }
  ASSERT_TRUE(lib_->SaveVectorIndexes().ok());
  lib_ = std::move(Library::Open(*db_, *blobs_)).value();
  lib_->SetIndexDir(index_dir);
  lib_->SetEmbedder("tiny-bert", embed);
  auto titles = vector_titles();
  std::sort(titles.begin(), titles.end());
  EXPECT_EQ(titles, (std::vector<std::string>{"second.txt", "third.txt"}));
}

TEST_F(LibraryTest, AServingLibraryCatchesUpWithAnotherProcessesChanges) {
  const auto embed = TinyBertEmbedder();
  lib_->SetEmbedder("tiny-bert", embed);
  const auto first = Add("jpn", "first.txt", "the capital of malaysia is kuala lumpur");
  const Reader member{"jpn", Classification::kTerbuka, {}};
  const auto count = [&] {
    auto hits = lib_->Search(member, {"zzz", "", 10, Retrieval::kVector});
    return hits.ok() ? hits->size() : size_t{999};
  };
  EXPECT_EQ(count(), 1u);  // the index is loaded now
  // Another process (the CLI) adds one document and erases the other.
  {
    auto other = std::move(Library::Open(*db_, *blobs_)).value();
    other->SetEmbedder("tiny-bert", embed);
    DocumentOptions o;
    o.collection = "pekeliling";
    o.source_name = "second.txt";
    ASSERT_TRUE(
        other->AddDocument(OperatorReader("jpn"), "putrajaya is the administrative centre", o)
            .ok());
    ASSERT_TRUE(other->DeleteDocument(member, first.id).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto hits = lib_->Search(member, {"zzz", "", 10, Retrieval::kVector});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].source_name, "second.txt");
}

TEST_F(LibraryTest, ChunksFromBeforeTheEmbeddingModelGetVectorsOnReindex) {
  Add("jpn", "old.txt", "the capital of malaysia is kuala lumpur");
  Add("kkm", "other.txt", "the capital of malaysia");
  const Reader member{"jpn", Classification::kTerbuka, {}};
  EXPECT_EQ(lib_->AddMissingVectors("jpn").status().code(), StatusCode::kFailedPrecondition);
  lib_->SetEmbedder("tiny-bert", TinyBertEmbedder());
  EXPECT_TRUE(lib_->Search(member, {"zzz", "", 10, Retrieval::kVector})->empty());
  size_t calls = 0;
  auto added = lib_->AddMissingVectors("jpn", [&calls](size_t, size_t) { ++calls; });
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 1u);  // only this tenant's
  EXPECT_EQ(calls, 1u);
  EXPECT_EQ(lib_->Search(member, {"zzz", "", 10, Retrieval::kVector})->size(), 1u);
  EXPECT_EQ(*lib_->AddMissingVectors("jpn"), 0u);
  // Another embedding model: every chunk is embedded again, replacing the old vectors.
  lib_->SetEmbedder("tiny-bert-2", TinyBertEmbedder());
  EXPECT_EQ(*lib_->AddMissingVectors("jpn"), 1u);
  EXPECT_EQ(db_->Query("SELECT COUNT(*) FROM kn_vectors WHERE tenant_id = 'jpn'")->at(0).Int(0), 1);
}

// The operator changes the embedding model: the server's backfill re-embeds
// every tenant's chunks by itself, and a stop between batches keeps what was
// done for the next start.
TEST_F(LibraryTest, AModelChangeIsReEmbeddedInTheBackgroundAndResumesAfterAStop) {
  const auto embed = TinyBertEmbedder();
  lib_->SetEmbedder("tiny-bert", embed);
  std::string many;
  for (int i = 0; i < 150; ++i)
    many += "## Seksyen " + std::to_string(i) + "\n\n" +
            std::string(i % 2 ? "permohonan lesen premis " : "elaun pegawai bertugas ") +
            std::to_string(i) + " diproses dalam tempoh tujuh hari bekerja.\n\n";
  const auto doc = Add("jpn", "many.md", many);
  ASSERT_GT(doc.chunks, 64);
  Add("kkm", "other.txt", "the capital of malaysia");
  std::atomic<int> embedded{0};
  std::atomic<bool> slow{true};
  lib_->SetEmbedder("tiny-bert-2", [&](std::string_view t, Library::EmbedAs as) {
    ++embedded;
    if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return embed(t, as);
  });
  std::vector<BackfillProgress> reports;
  std::mutex mu;
  const auto record = [&](const BackfillProgress& p) {
    std::lock_guard lock(mu);
    reports.push_back(p);
  };
  const auto left = [&](const std::string& tenant) {
    return db_
        ->Query(
            "SELECT COUNT(*) FROM kn_chunks c LEFT JOIN kn_vectors v ON v.chunk_id = "
            "c.chunk_id AND v.model = 'tiny-bert-2+title' WHERE c.tenant_id = ? AND v.chunk_id IS "
            "NULL",
            {tenant})
        ->at(0)
        .Int(0);
  };
  {
    // Stopped once the first batch of 64 is stored: it is kept, the batch
    // under way is not.
    VectorBackfill backfill(*lib_, {"jpn", "kkm"}, record);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (left("jpn") == doc.chunks && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    backfill.Stop();
  }
  EXPECT_GT(left("jpn"), 0);           // stopped part way
  EXPECT_LT(left("jpn"), doc.chunks);  // a whole batch of 64 was kept
  EXPECT_EQ(left("kkm"), 1);           // never reached
  slow = false;
  {
    VectorBackfill backfill(*lib_, {"jpn", "kkm"}, record);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!backfill.finished() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(backfill.finished());
  }
  EXPECT_EQ(left("jpn"), 0);
  EXPECT_EQ(left("kkm"), 0);
  std::lock_guard lock(mu);
  ASSERT_FALSE(reports.empty());
  EXPECT_TRUE(reports.back().finished);
  EXPECT_EQ(reports.back().tenant_id, "kkm");
  EXPECT_EQ(reports.back().done, reports.back().total);
  EXPECT_TRUE(reports.back().error.empty());
  const Reader member{"jpn", Classification::kTerbuka, {}};
  EXPECT_FALSE(lib_->Search(member, {"permohonan lesen", "", 5, Retrieval::kVector})->empty());
}

// A document deleted while the backfill embeds it keeps no vector.
TEST_F(LibraryTest, ABackfillLeavesNoVectorForADocumentDeletedMeanwhile) {
  const auto embed = TinyBertEmbedder();
  const auto doc = Add("jpn", "gone.txt", "the capital of malaysia is kuala lumpur");
  const Reader owner = OperatorReader("jpn");
  lib_->SetEmbedder("tiny-bert", [&](std::string_view t, Library::EmbedAs as) {
    EXPECT_TRUE(lib_->DeleteDocument(owner, doc.id).ok());
    return embed(t, as);
  });
  auto added = lib_->AddMissingVectors("jpn");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 0u);
  EXPECT_EQ(db_->Query("SELECT COUNT(*) FROM kn_vectors")->at(0).Int(0), 0);
}

// A multilingual model places a text by its language as well as its
// meaning. Here that is made plain: each vector is 0.8 language + 0.6 topic.
// A Malay question on the vault is nearer to every unrelated Malay chunk
// than to the English vault procedure, unless the question is asked as if
// in English (LanguageShift).
TEST_F(LibraryTest, AQuestionFindsTheAnswerInAnotherLanguageOverItsOwnLanguagesChunks) {
  const auto topic = [](std::string_view t) -> size_t {
    const std::vector<std::pair<const char*, const char*>> topics = {
        {"vault", "kebal"},      {"leave", "cuti"},    {"fee", "yuran"},   {"car", "kenderaan"},
        {"flood", "banjir"},     {"loan", "pinjaman"}, {"audit", "audit"}, {"badge", "pas"},
        {"training", "latihan"}, {"claim", "tuntutan"}};
    for (size_t i = 0; i < topics.size(); ++i) {
      if (t.find(topics[i].first) != std::string_view::npos ||
          t.find(topics[i].second) != std::string_view::npos)
        return 10 + i;
    }
    return 30;
  };
  lib_->SetEmbedder("two-axes", [&](std::string_view t, Library::EmbedAs) {
    std::vector<float> v(64, 0.0f);
    v[DetectLanguage(t) == "ms" ? 0 : 1] = 0.8f;
    v[topic(t)] = 0.6f;
    return Result<std::vector<float>>(v);
  });
  const std::vector<std::string> english = {
      "The vault is opened under dual control and its combinations are changed every 90 days.",
      "Officers are entitled to 25 days of annual leave each year.",
      "The processing fee for the licence is paid when the application is submitted online.",
      "Every department car is booked through the transport unit.",
      "During a flood the evacuation centre is opened in the community hall of the village.",
      "The housing loan is repaid by salary deduction over at most 35 years for the officer.",
      "The internal audit team reviews every branch once a year and reports to the board.",
      "A staff badge must be worn at all times and is returned on the last working day.",
      "Training courses outside the station are approved by the head of department in advance.",
      "A claim is submitted through the portal within 60 days of the date of the expense."};
  const std::vector<std::string> malay = {
      "Pegawai layak mendapat cuti rehat sebanyak 25 hari setahun.",
      "Yuran pemprosesan lesen dibayar semasa permohonan dihantar melalui portal dalam talian.",
      "Setiap kenderaan jabatan ditempah melalui unit pengangkutan.",
      "Semasa banjir pusat pemindahan dibuka di dewan orang ramai di kampung tersebut.",
      "Pinjaman perumahan dibayar balik melalui potongan gaji dalam tempoh paling lama 35 tahun.",
      "Pasukan audit dalaman menyemak setiap cawangan sekali setahun dan melapor kepada lembaga.",
      "Pas kakitangan mesti dipakai pada setiap masa dan dipulangkan pada hari bekerja terakhir.",
      "Kursus latihan di luar stesen diluluskan oleh ketua jabatan terlebih dahulu.",
      "Tuntutan dihantar melalui portal dalam tempoh 60 hari dari tarikh perbelanjaan."};
  for (size_t i = 0; i < english.size(); ++i)
    Add("jpn", "en" + std::to_string(i) + ".txt", english[i]);
  for (size_t i = 0; i < malay.size(); ++i) Add("jpn", "ms" + std::to_string(i) + ".txt", malay[i]);
  const Reader member{"jpn", Classification::kTerbuka, {}};
  const auto first = [&](const std::string& question) {
    auto hits = lib_->Search(member, {question, "", 3, Retrieval::kVector});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return hits.ok() && !hits->empty() ? hits->front().source_name : "";
  };
  EXPECT_EQ(first("Berapa kerap nombor kombinasi bilik kebal perlu ditukar oleh pegawai?"),
            "en0.txt");
  // The same fact in both languages: both lead, whatever their language.
  auto both =
      lib_->Search(member, {"Berapakah hari cuti rehat yang layak diperoleh seorang pegawai?", "",
                            2, Retrieval::kVector});
  ASSERT_TRUE(both.ok());
  std::set<std::string> names;
  for (const auto& h : *both) names.insert(h.source_name);
  EXPECT_EQ(names, (std::set<std::string>{"ms0.txt", "en1.txt"}));
  EXPECT_EQ(first("How long may a housing loan be repaid by the officer?"), "en5.txt");
}

// A language gets a mean only from enough chunks every member may read, in
// at least two documents, under a language daulat detects: hidden chunks
// shape nothing, and an uploader cannot make a language of their own.
TEST(LanguageShiftTest, OnlyPublicChunksOfARealLanguageInSeveralDocumentsMakeAMean) {
  VectorIndex index(4);
  std::vector<LanguageShift::Chunk> chunks;
  const auto add = [&](int64_t id, const std::string& language, const std::string& document,
                       bool open, const std::vector<float>& v) {
    ASSERT_TRUE(index.Add(id, v).ok());
    chunks.push_back({id, language, document, open});
  };
  for (int64_t i = 0; i < 10; ++i) add(i, "en", i < 5 ? "a" : "b", true, {0, 1, 0, 0});
  for (int64_t i = 10; i < 13; ++i) add(i, "ms", "c", true, {1, 0, 0, 0});  // too few
  for (int64_t i = 13; i < 30; ++i) add(i, "ta", "d", true, {0, 0, 0, 1});  // one document
  for (int64_t i = 30; i < 50; ++i) add(i, "zz", i < 40 ? "e" : "f", true, {0, 0, 1, 0});
  for (int64_t i = 50; i < 70; ++i) add(i, "zh", i < 60 ? "g" : "h", false, {0, 0, 1, 0});
  chunks.push_back({99, "en", "a", true});  // not in the index: ignored
  const LanguageShift shift(index, chunks);
  EXPECT_EQ(shift.built_from(), 70u);
  EXPECT_EQ(shift.LanguageOf(0), "en");
  for (const int64_t no_mean : {10, 13, 30, 50}) EXPECT_EQ(shift.LanguageOf(no_mean), "");
  const std::vector<float> q = {0, 0, 1, 0};
  EXPECT_EQ(shift.QueryPerLanguage(q, "ms").size(), 1u);  // nothing to move it from
  EXPECT_EQ(shift.QueryPerLanguage(q, "zh").size(), 1u);
  const auto from_en = shift.QueryPerLanguage(q, "en");
  EXPECT_EQ(from_en.size(), 2u);
  EXPECT_EQ(from_en.at("en"), q);
  EXPECT_DOUBLE_EQ(shift.Background({0, 1, 0, 0}, "en"), 1.0);
  EXPECT_DOUBLE_EQ(shift.Background({0, 1, 0, 0}, "zz"), 0.0);
}

// An uploader's near-identical chunks under a language of their own form a
// tight group whose mean is themselves: scored against the question moved
// there, they would match every question. They are scored against the
// question as it is, less their language's background, so they do not.
TEST_F(LibraryTest, ATightGroupOfChunksInOneLanguageDoesNotMatchEveryQuestion) {
  lib_->SetEmbedder("two-axes", [](std::string_view t, Library::EmbedAs) {
    std::vector<float> v(8, 0.0f);
    const bool spam = t.find("promosi") != std::string_view::npos;
    v[spam ? 2 : (DetectLanguage(t) == "ms" ? 0 : 1)] = 0.8f;
    v[t.find("kebal") != std::string_view::npos || t.find("vault") != std::string_view::npos ? 4
      : spam                                                                                 ? 5
             : 6] = 0.6f;
    return Result<std::vector<float>>(v);
  });
  for (int i = 0; i < 10; ++i) {
    Add("jpn", "en" + std::to_string(i) + ".txt",
        i == 0 ? "The vault combinations are changed every 90 days by the branch."
               : "The officers of the branch submit the monthly report " + std::to_string(i));
    Add("jpn", "ms" + std::to_string(i) + ".txt",
        "Pegawai cawangan menghantar laporan bulanan kepada ibu pejabat " + std::to_string(i));
  }
  for (int i = 0; i < 10; ++i) {
    DocumentOptions o;
    o.collection = "pekeliling";
    o.source_name = "spam" + std::to_string(i) + ".txt";
    o.language = "zh";  // the uploader's claim
    o.actor = "key:spammer";
    ASSERT_TRUE(lib_->AddDocument(OperatorReader("jpn"),
                                  "promosi istimewa hari ini sahaja " + std::to_string(i), o)
                    .ok());
  }
  const Reader member{"jpn", Classification::kTerbuka, {}};
  auto hits = lib_->Search(
      member, {"Berapa kerap kombinasi bilik kebal ditukar?", "", 5, Retrieval::kVector});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().source_name, "en0.txt");
  for (const auto& h : *hits) EXPECT_EQ(h.source_name.rfind("spam", 0), std::string::npos);
}

TEST(LanguageTagTest, CommonTagsPassAndAnythingElseIsRefused) {
  for (const char* good :
       {"ms", "en", "zh", "ta", "zh-Hant", "ta-MY", "en-GB", "fil", "ms-Arab-MY"})
    EXPECT_TRUE(IsLanguageTag(good)) << good;
  for (const std::string& bad : std::vector<std::string>{
           "", "m", "MS", "malay", "ms_", "ms-", "-ms", "ms--my", "ms-x", "ms-MYMYMYMYM",
           "ms-Arab-MY-x1-y2", "ms<b>", std::string("ms\0", 3), "en GB", "ms-MY;DROP"})
    EXPECT_FALSE(IsLanguageTag(bad)) << bad;
}

TEST_F(LibraryTest, AnUploadWithAMalformedLanguageTagIsRefused) {
  DocumentOptions o;
  o.collection = "pekeliling";
  o.source_name = "a.txt";
  o.language = "malay-language";
  EXPECT_EQ(lib_->AddDocument(OperatorReader("jpn"), "Teks.", o).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(DetectLanguageTest, ScriptsAndCommonWords) {
  EXPECT_EQ(DetectLanguage("Permohonan ini akan diproses dalam tempoh tujuh hari."), "ms");
  EXPECT_EQ(DetectLanguage("The application will be processed within seven days."), "en");
  EXPECT_EQ(DetectLanguage("申请将在七天内处理。"), "zh");
  EXPECT_EQ(DetectLanguage("விண்ணப்பம் ஏழு நாட்களில் பரிசீலிக்கப்படும்."), "ta");
}

}  // namespace
}  // namespace daulat::knowledge
