#include "knowledge/library_health.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/sha256.h"
#include "knowledge/library.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

// Each tenant's BM25 table, as library.cc names it.
std::string IndexTableOf(const std::string& tenant) {
  return "kn_index_" + Sha256Hex(tenant).substr(0, 16);
}

// What a crash between a blob's write and its transaction, or between a
// commit and the old blob's removal, leaves behind, and what a bug or a
// hand-edited database could: CheckLibrary finds each kind, and its repair
// removes exactly the debris, leaving every document readable and findable.
class LibraryHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("library-health");
    db_ = testing::OpenTestDatabase(dir_);
    blobs_ = std::move(store::BlobStore::Open(dir_ / "blobs")).value();
    lib_ = std::move(Library::Open(*db_, *blobs_)).value();
    for (const char* t : {"jpn", "kkm"}) {
      ASSERT_TRUE(lib_->CreateCollection(t, "sop", "SOP", "").ok());
    }
  }
  void TearDown() override {
    lib_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  DocumentInfo Add(const std::string& tenant, const std::string& name, const std::string& text) {
    DocumentOptions o;
    o.collection = "sop";
    o.source_name = name;
    o.actor = "key:test";
    auto d = lib_->AddDocument(OperatorReader(tenant), text, o);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : DocumentInfo{};
  }
  LibraryHealth Check(bool repair) {
    HealthOptions options;
    options.repair = repair;
    options.verify_originals = true;
    auto h = CheckLibrary(*db_, *blobs_, options);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : LibraryHealth{};
  }
  int64_t Rows(const std::string& sql) { return db_->Query(sql)->front().Int(0); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<Library> lib_;
};

TEST_F(LibraryHealthTest, AHealthyLibraryHasNothingToRepair) {
  Add("jpn", "cuti.md", "# Cuti\n\nPegawai memohon cuti rehat melalui sistem.\n");
  Add("kkm", "vaksin.md", "# Vaksin\n\nStok vaksin disimpan pada suhu dua hingga lapan darjah.\n");
  const LibraryHealth h = Check(false);
  EXPECT_EQ(h.documents, 2);
  EXPECT_EQ(h.stored_blobs, 2);
  EXPECT_FALSE(h.HasDebris()) << ToJson(h).dump();
  EXPECT_FALSE(h.HasDamage());
}

TEST_F(LibraryHealthTest, FindsAndRemovesWhatInterruptedWritesLeaveBehind) {
  const auto kept = Add("jpn", "cuti.md", "# Cuti\n\nPegawai memohon cuti rehat melalui sistem.\n");
  Add("kkm", "vaksin.md", "# Vaksin\n\nStok vaksin disimpan pada suhu dua hingga lapan darjah.\n");
  // A blob written for an upload whose transaction never committed, and a
  // write cut off before its rename.
  ASSERT_TRUE(blobs_->Put("jpn", "blob_uncommitted", "separuh").ok());
  std::ofstream(dir_ / "blobs" / store::BlobStore::FolderOf("kkm") / "blob_x.tmp") << "cut";
  // Rows no crash can leave (one transaction writes them) but a bug could.
  ASSERT_TRUE(db_->Execute("INSERT INTO kn_chunks (tenant_id, document_id, collection_id, seq, "
                           "text, heading_path, page, char_start, char_end, "
                           "classification_rank, acl) VALUES ('jpn', 'doc_gone', 'sop', 0, "
                           "'sisa', '', 1, 0, 4, 0, '')")
                  .ok());
  ASSERT_TRUE(db_->Execute("INSERT INTO kn_vectors (chunk_id, tenant_id, model, vector) VALUES "
                           "(999999, 'jpn', 'm', 'xxxx')")
                  .ok());
  const int64_t kkm_chunk =
      db_->Query("SELECT chunk_id FROM kn_chunks WHERE tenant_id = 'kkm'")->front().Int(0);
  // A vector filed under another tenant than its passage's.
  ASSERT_TRUE(db_->Execute("INSERT INTO kn_vectors (chunk_id, tenant_id, model, vector) VALUES "
                           "(?, 'jpn', 'm', 'xxxx')",
                           {kkm_chunk})
                  .ok());
  const auto jpn_table = IndexTableOf("jpn");
  ASSERT_TRUE(
      db_->Execute("INSERT INTO " + jpn_table + " (rowid, terms) VALUES (888888, 'hantu')").ok());
  // kkm's passage lost its BM25 entry: search could not find it.
  const auto kkm_table = IndexTableOf("kkm");
  ASSERT_TRUE(db_->Execute("DELETE FROM " + kkm_table + " WHERE rowid = ?", {kkm_chunk}).ok());
  const Reader kkm{"kkm", Classification::kTerbuka, {}};
  EXPECT_TRUE(lib_->Search(kkm, {"vaksin suhu", "", 5})->empty());

  const LibraryHealth found = Check(false);
  EXPECT_EQ(found.orphan_blobs.size(), 2u) << ToJson(found).dump();
  EXPECT_EQ(found.orphan_chunks, 1);
  EXPECT_EQ(found.orphan_vectors, 2);
  EXPECT_EQ(found.orphan_index_entries, 1);
  EXPECT_EQ(found.unindexed_chunks, 1);  // kkm's; doc_gone's passage is debris, not re-indexed
  EXPECT_FALSE(found.HasDamage());
  EXPECT_TRUE(Check(false).HasDebris());  // checking alone changes nothing

  const LibraryHealth repaired = Check(true);
  EXPECT_EQ(repaired.orphan_blobs, found.orphan_blobs);
  const LibraryHealth after = Check(false);
  EXPECT_FALSE(after.HasDebris()) << ToJson(after).dump();
  EXPECT_EQ(after.documents, 2);
  EXPECT_EQ(after.stored_blobs, 2);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM kn_vectors"), 0);
  // Every document is whole: readable, and found again by search.
  const Reader jpn{"jpn", Classification::kTerbuka, {}};
  EXPECT_EQ(*lib_->OriginalBytes(jpn, kept.id),
            "# Cuti\n\nPegawai memohon cuti rehat melalui sistem.\n");
  auto hits = lib_->Search(kkm, {"vaksin suhu", "", 5});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].source_name, "vaksin.md");
}

TEST_F(LibraryHealthTest, AMissingOriginalIsDamageThatRepairLeavesAlone) {
  const auto d = Add("jpn", "cuti.md", "# Cuti\n\nPegawai memohon cuti rehat melalui sistem.\n");
  const auto stored = blobs_->List();
  ASSERT_TRUE(stored.ok());
  for (const auto& b : stored.value()) ASSERT_TRUE(blobs_->Discard(b).ok());
  const LibraryHealth h = Check(true);
  ASSERT_EQ(h.missing_originals.size(), 1u);
  EXPECT_EQ(h.missing_originals[0], "jpn/" + d.id);
  EXPECT_TRUE(h.HasDamage());
  // The document's rows stay: its passages are still searchable and a
  // restore of the blob brings it back whole.
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM kn_documents"), 1);
}

TEST_F(LibraryHealthTest, DocumentsFromBeforeBlobsPerVersionStillReadAndReplace) {
  // A database from before migration 3: the blob is named by the document id.
  const auto d = Add("jpn", "cuti.md", "versi satu");
  const std::string blob = db_->Query("SELECT blob_id FROM kn_documents")->front().Text(0);
  ASSERT_TRUE(blobs_->Delete("jpn", blob).ok());
  ASSERT_TRUE(blobs_->Put("jpn", d.id, "versi satu").ok());
  ASSERT_TRUE(db_->Execute("UPDATE kn_documents SET blob_id = NULL").ok());
  const Reader jpn{"jpn", Classification::kTerbuka, {}};
  EXPECT_EQ(*lib_->OriginalBytes(jpn, d.id), "versi satu");
  EXPECT_FALSE(Check(false).HasDebris());
  Add("jpn", "cuti.md", "versi dua");
  EXPECT_EQ(*lib_->OriginalBytes(jpn, d.id), "versi dua");
  EXPECT_EQ(blobs_->List()->size(), 1u);  // the old, id-named blob went with its version
  EXPECT_FALSE(Check(false).HasDebris());
}

// What a crash between overwriting an original and committing its new
// version would have left before each version had a blob of its own.
TEST_F(LibraryHealthTest, AnOriginalThatIsNotTheUploadedBytesIsDamage) {
  const auto d = Add("jpn", "cuti.md", "versi satu");
  const std::string blob = db_->Query("SELECT blob_id FROM kn_documents")->front().Text(0);
  ASSERT_TRUE(blobs_->Put("jpn", blob, "versi dua").ok());
  const LibraryHealth h = Check(false);
  ASSERT_EQ(h.damaged_originals.size(), 1u) << ToJson(h).dump();
  EXPECT_EQ(h.damaged_originals[0], "jpn/" + d.id);
  EXPECT_TRUE(h.HasDamage());
  EXPECT_FALSE(h.HasDebris());
}

// Beside a running server an unnamed blob may be an upload about to commit:
// young ones are counted apart and never removed; and files an operator put
// in the store's folder are none of the doctor's business.
TEST_F(LibraryHealthTest, RecentUnnamedBlobsAndForeignFilesAreLeftAlone) {
  Add("jpn", "cuti.md", "# Cuti\n\nPegawai memohon cuti rehat melalui sistem.\n");
  ASSERT_TRUE(blobs_->Put("jpn", "blob_in_flight", "sedang dimuat naik").ok());
  std::filesystem::create_directories(dir_ / "blobs" / "lost+found");
  std::ofstream(dir_ / "blobs" / "lost+found" / "x") << "x";
  std::ofstream(dir_ / "blobs" / store::BlobStore::FolderOf("jpn") / "README.txt") << "x";
  HealthOptions online;
  online.repair = true;
  online.in_flight_seconds = 600;
  auto h = CheckLibrary(*db_, *blobs_, online);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->recent_unnamed_blobs, 1);
  EXPECT_TRUE(h->orphan_blobs.empty()) << ToJson(*h).dump();
  EXPECT_TRUE(blobs_->Get("jpn", "blob_in_flight").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "blobs" / "lost+found" / "x"));
  EXPECT_TRUE(
      std::filesystem::exists(dir_ / "blobs" / store::BlobStore::FolderOf("jpn") / "README.txt"));
}

TEST_F(LibraryHealthTest, DiscardRefusesNamesOutsideTheStore) {
  EXPECT_EQ(blobs_->Discard({"..", "master.key"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Discard({"a/b", "c"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Discard({"abc", ""}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Discard({".", "master.key"}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "blobs" / "master.key"));
}

// Two nodes on one database, each with the originals it read: a document
// erased (or replaced) through node 2 leaves its original on node 1 until
// node 1's sweep, which takes only what no document names and what no
// upload in progress may still name.
TEST_F(LibraryHealthTest, AnotherNodesErasureReachesThisNodesOriginals) {
  const auto doc = Add("jpn", "cuti.md", "# Cuti\n\nCuti tahunan ialah 25 hari bekerja.\n");
  const auto kept = Add("jpn", "gaji.md", "# Gaji\n\nGaji dibayar pada 25 haribulan.\n");
  auto node2_blobs = std::move(store::BlobStore::Open(dir_ / "node2-blobs")).value();
  auto node2 = std::move(Library::Open(*db_, *node2_blobs)).value();
  ASSERT_TRUE(node2->DeleteDocument(OperatorReader("jpn"), doc.id).ok());
  ASSERT_EQ(blobs_->List()->size(), 2u);  // still here: node 2 never had it
  auto young = DiscardUnnamedOriginals(*db_, *blobs_, 3600);
  ASSERT_TRUE(young.ok()) << young.status().ToString();
  EXPECT_EQ(*young, 0) << "may be an upload in progress";
  auto swept = DiscardUnnamedOriginals(*db_, *blobs_, 0);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  ASSERT_EQ(blobs_->List()->size(), 1u);
  EXPECT_TRUE(lib_->GetDocument(OperatorReader("jpn"), kept.id).ok());
  EXPECT_FALSE(Check(false).HasDamage());
}

}  // namespace
}  // namespace daulat::knowledge
