#include "store/database.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "test_database.h"
#include "tiny_model.h"

namespace daulat::store {
namespace {

const std::vector<Migration> kMigrations = {
    {1, "documents",
     "CREATE TABLE documents (tenant_id TEXT NOT NULL, id TEXT NOT NULL, title TEXT, "
     "pages INTEGER, score REAL, PRIMARY KEY (tenant_id, id));"},
    {2, "labels",
     "ALTER TABLE documents ADD COLUMN label TEXT NOT NULL DEFAULT 'TERBUKA';"
     "CREATE INDEX documents_label ON documents (tenant_id, label);"},
};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("store");
    where_ = std::make_unique<testing::TestDatabase>(dir_);
    path_ = where_->location();
    auto db = where_->Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate("docs", kMigrations).ok());
  }
  void TearDown() override {
    db_.reset();
    where_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<testing::TestDatabase> where_;
  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, MigrationsApplyOnceInOrderAndSurviveReopening) {
  EXPECT_EQ(*db_->SchemaVersion("docs"), 2);
  EXPECT_TRUE(db_->Migrate("docs", kMigrations).ok());  // nothing to do the second time
  db_.reset();
  auto again = where_->Open();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->SchemaVersion("docs"), 2);
  if (!where_->postgres()) {
    auto mode = (*again)->Query("PRAGMA journal_mode");
    EXPECT_EQ((*mode)[0].Text(0), "wal");
  }
  // Only the first migration known: the database is newer than the program.
  auto older = (*again)->Migrate("docs", {kMigrations[0]});
  EXPECT_EQ(older.code(), StatusCode::kFailedPrecondition);
}

TEST_F(DatabaseTest, AFailingMigrationChangesNothing) {
  auto bad = kMigrations;
  bad.emplace_back(3, "broken", "CREATE TABLE ok_table (x INTEGER); CREATE TABLE oops (");
  const Status st = db_->Migrate("docs", bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("migration 3 (broken)"), std::string::npos) << st.message();
  EXPECT_EQ(*db_->SchemaVersion("docs"), 2);
  EXPECT_FALSE(db_->Query("SELECT * FROM ok_table").ok());  // rolled back with the rest
  EXPECT_EQ(db_->Migrate("docs", {{2, "gap", ""}}).code(), StatusCode::kInvalidArgument);
  // Components number their migrations independently.
  EXPECT_TRUE(db_->Migrate("other", {{1, "t", "CREATE TABLE other_t (x INTEGER);"}}).ok());
  EXPECT_EQ(*db_->SchemaVersion("other"), 1);
  EXPECT_EQ(*db_->SchemaVersion("docs"), 2);
}

// An erased document's text must not stay readable in the file's free
// pages, and nobody but the service's user reads the file.
TEST_F(DatabaseTest, DeletedRowsAreOverwrittenAndTheFileIsPrivate) {
  if (where_->postgres()) GTEST_SKIP() << "SQLite's file; PostgreSQL: see docs/scale.md";
  auto on = db_->Query("PRAGMA secure_delete");
  ASSERT_TRUE(on.ok());
  EXPECT_EQ((*on)[0].Int(0), 1);
  ASSERT_TRUE(db_->Execute("CREATE TABLE secrets (t TEXT)").ok());
  ASSERT_TRUE(
      db_->Execute("INSERT INTO secrets VALUES (?)", {std::string(4000, 'R') + "AHSIA-XYZ"}).ok());
  ASSERT_TRUE(db_->Execute("DELETE FROM secrets").ok());
  ASSERT_TRUE(db_->Execute("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(path_ + suffix, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("AHSIA-XYZ"), std::string::npos) << suffix;
  }
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(DatabaseTest, ValuesRoundTrip) {
  TenantScope t(*db_, "jpn");
  ASSERT_TRUE(t.Insert("documents", {"id", "title", "pages", "score"},
                       {std::string("d1"), std::string("Pekeliling 7/2026 — 吉隆坡 — மலேசியா"),
                        int64_t{42}, 0.5})
                  .ok());
  ASSERT_TRUE(t.Insert("documents", {"id", "title", "pages", "score"},
                       {std::string("d2"), nullptr, nullptr, nullptr})
                  .ok());
  auto rows = t.Select("documents", {"id", "title", "pages", "score", "label"}, "", {}, "id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(1), "Pekeliling 7/2026 — 吉隆坡 — மலேசியா");
  EXPECT_EQ((*rows)[0].Int(2), 42);
  EXPECT_DOUBLE_EQ((*rows)[0].Real(3), 0.5);
  EXPECT_EQ((*rows)[0].Text(4), "TERBUKA");
  EXPECT_TRUE((*rows)[1].IsNull(1));
  EXPECT_EQ((*rows)[1].Int(2), 0);
}

TEST_F(DatabaseTest, TenantScopeNeverCrossesTenants) {
  TenantScope a(*db_, "tenant-a");
  TenantScope b(*db_, "tenant-b");
  ASSERT_TRUE(
      a.Insert("documents", {"id", "title"}, {std::string("same-id"), std::string("A's secret")})
          .ok());
  ASSERT_TRUE(
      b.Insert("documents", {"id", "title"}, {std::string("same-id"), std::string("B's secret")})
          .ok());
  auto seen = a.Select("documents", {"title"});
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].Text(0), "A's secret");
  // A condition that would match B's row still only reaches A's.
  EXPECT_EQ(*a.Update("documents", {"title"}, {std::string("changed")}, "id = ? OR 1 = 1",
                      {std::string("x")}),
            1);
  EXPECT_EQ((*b.Select("documents", {"title"}))[0].Text(0), "B's secret");
  EXPECT_EQ(*a.Delete("documents", "1 = 1", {}), 1);
  EXPECT_EQ(b.Select("documents", {"id"})->size(), 1u);
  EXPECT_EQ(a.Select("documents", {"id"})->size(), 0u);
}

TEST_F(DatabaseTest, IdentifiersAndArityAreChecked) {
  TenantScope a(*db_, "t");
  EXPECT_EQ(a.Select("documents; DROP TABLE documents", {"id"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Select("documents", {"id, title"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Insert("documents", {"id"}, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      a.Insert("documents", {"tenant_id", "id"}, {std::string("other"), std::string("x")}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Update("documents", {"tenant_id"}, {std::string("other")}, "", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Select("documents", {"id"}, "", {}, "id DESC; --").status().code(),
            StatusCode::kInvalidArgument);
}

// Joins and grouping through the scope: every table named gets the scope's
// tenant, and a statement that leaves one out never runs.
TEST_F(DatabaseTest, ComposedStatementsFilterEveryTable) {
  ASSERT_TRUE(db_->Migrate("extra", {{1, "pages",
                                      "CREATE TABLE pages (tenant_id TEXT NOT NULL, doc TEXT NOT "
                                      "NULL, n INTEGER NOT NULL);"
                                      "CREATE TABLE words (word TEXT NOT NULL);"}})
                  .ok());
  TenantScope a(*db_, "tenant-a");
  TenantScope b(*db_, "tenant-b");
  for (auto* s : {&a, &b}) {
    ASSERT_TRUE(s->Insert("documents", {"id", "title"}, {std::string("d1"), s->tenant_id()}).ok());
    for (int64_t n = 1; n <= 3; ++n)
      ASSERT_TRUE(s->Insert("pages", {"doc", "n"}, {std::string("d1"), n}).ok());
  }
  auto rows = a.Query(
      "SELECT d.title, COUNT(*), MAX(p.n) FROM documents d JOIN pages p ON {tenant:p} AND p.doc = "
      "d.id WHERE {tenant:d} AND p.n >= ? GROUP BY d.title",
      {int64_t{2}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "tenant-a");
  EXPECT_EQ((*rows)[0].Int(1), 2);

  // Inside a transaction, with a literal holding a '?' and a quote.
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    TenantScope in_tx(**tx, "tenant-a");
    ASSERT_TRUE(in_tx
                    .Execute("DELETE FROM pages WHERE {tenant} AND doc IN (SELECT id FROM "
                             "documents WHERE {tenant:documents} AND title <> 'it''s ?')")
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(a.Select("pages", {"doc"})->size(), 0u);
  EXPECT_EQ(b.Select("pages", {"doc"})->size(), 3u);

  const auto refused = [&](const std::string& sql, const std::vector<Value>& params = {}) {
    return a.Query(sql, params).status().code() == StatusCode::kInvalidArgument;
  };
  // A joined table without its filter would read every tenant's rows.
  EXPECT_TRUE(
      refused("SELECT COUNT(*) FROM documents d JOIN pages p ON p.doc = d.id WHERE "
              "{tenant:d}"));
  EXPECT_TRUE(
      refused("SELECT COUNT(*) FROM documents d LEFT JOIN pages AS p ON p.doc = d.id "
              "WHERE {tenant:d}"));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE id IN (SELECT doc FROM pages)"));
  EXPECT_TRUE(refused("SELECT d.id FROM documents d, pages p WHERE {tenant:d} AND {tenant:p}"));
  EXPECT_TRUE(refused("UPDATE pages SET n = 0"));
  // Spellings of a table the check would not recognise as that table.
  EXPECT_TRUE(refused("SELECT COUNT(*) FROM \"pages\""));
  EXPECT_TRUE(refused("SELECT COUNT(*) FROM main.pages"));
  EXPECT_TRUE(refused("SELECT COUNT(*) FROM public.pages p WHERE {tenant:p}"));
  EXPECT_TRUE(
      refused("SELECT COUNT(*) FROM documents d JOIN `pages` p ON d.id = p.doc "
              "WHERE {tenant:d}"));
  // A comment or dollar quote could hide a placeholder or a quote from the check.
  EXPECT_TRUE(
      refused("SELECT id FROM documents WHERE {tenant} -- AND id = ?\n", {std::string("x")}));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE {tenant} /* ' */ AND title = '?'"));
  EXPECT_TRUE(refused("SELECT $$?$$ FROM documents WHERE {tenant}"));
  EXPECT_TRUE(refused("SELECT COUNT(*) FROM ONLY pages p"));
  EXPECT_TRUE(
      refused("SELECT COUNT(*) FROM documents d JOIN LATERAL pages p ON 1 = 1 "
              "WHERE {tenant:d}"));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE {tenant} AND title = E'\\' OR 1 = 1 --'"));
  // The tenant is the scope's, never the caller's.
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE tenant_id = ?", {std::string("tenant-b")}));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE {tenant} AND id = ?"));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE {tenant}", {std::string("x")}));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE {tenant} AND title = 'open"));
  EXPECT_TRUE(refused("SELECT id FROM documents WHERE {tenant:d; DROP TABLE documents}"));
  // A table without a tenant column needs no marker.
  EXPECT_TRUE(a.Query("SELECT COUNT(*) FROM words w JOIN documents d ON {tenant:d}").ok());
}

TEST_F(DatabaseTest, ErrorsAreClassified) {
  TenantScope a(*db_, "t");
  ASSERT_TRUE(a.Insert("documents", {"id"}, {std::string("dup")}).ok());
  EXPECT_EQ(a.Insert("documents", {"id"}, {std::string("dup")}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(db_->Query("SELEKT 1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Query("SELECT ?", {}).status().code(), StatusCode::kInvalidArgument);
  if (where_->postgres()) return;
  EXPECT_EQ(OpenSqlite(":memory:").status().code(), StatusCode::kInvalidArgument);
  std::ofstream(dir_ / "garbage.db") << std::string(8192, 'x');
  EXPECT_EQ(OpenSqlite((dir_ / "garbage.db").string()).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(OpenSqlite((dir_ / "no" / "such" / "dir.db").string()).ok());
}

TEST_F(DatabaseTest, TransactionsCommitOrRollBack) {
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)
                    ->Execute("INSERT INTO documents (tenant_id, id) VALUES (?, ?)",
                              {std::string("t"), std::string("gone")})
                    .ok());
  }  // no commit: rolled back
  EXPECT_TRUE(db_->Query("SELECT id FROM documents WHERE id = 'gone'")->empty());
  auto tx = db_->Begin();
  ASSERT_TRUE((*tx)
                  ->Execute("INSERT INTO documents (tenant_id, id) VALUES (?, ?)",
                            {std::string("t"), std::string("kept")})
                  .ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ(db_->Query("SELECT id FROM documents WHERE id = 'kept'")->size(), 1u);
}

TEST_F(DatabaseTest, ConcurrentWritersAllLand) {
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([this, w] {
      TenantScope t(*db_, "tenant-" + std::to_string(w));
      for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(t.Insert("documents", {"id"}, {std::to_string(i)}).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ((*db_->Query("SELECT COUNT(*) FROM documents"))[0].Int(0), 400);
}

}  // namespace
}  // namespace daulat::store
