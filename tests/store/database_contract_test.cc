// What every engine behind store::Database must do, run on SQLite and (the
// "pg." run) on PostgreSQL: several nodes sharing one database, bytes and
// text kept whole, failures reported instead of half-applied.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "store/database.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::store {
namespace {

const std::vector<Migration> kLedger = {
    {1, "entries", "CREATE TABLE entries (n INTEGER PRIMARY KEY, node TEXT NOT NULL, body BLOB);"},
    {2, "notes", "CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT, \"INTEGER\" TEXT);"},
    // The same words read another way on PostgreSQL.
    {3, "ratios", "CREATE TABLE ratios (id INTEGER PRIMARY KEY, r REAL, big INTEGER);",
     "CREATE TABLE ratios (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, r DOUBLE "
     "PRECISION, big BIGINT);"},
};

class DatabaseContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("contract");
    where_ = std::make_unique<testing::TestDatabase>(dir_);
    db_ = Open();
    const Status migrated = db_->Migrate("ledger", kLedger);
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
  }
  void TearDown() override {
    db_.reset();
    where_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Another handle on the same database, as another node holds.
  std::unique_ptr<Database> Open() {
    auto db = where_->Open();
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  std::filesystem::path dir_;
  std::unique_ptr<testing::TestDatabase> where_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseContractTest, NodesStartingTogetherMigrateOnce) {
  const std::vector<Migration> more = {
      {1, "a", "CREATE TABLE race_a (x INTEGER);"},
      {2, "b", "CREATE TABLE race_b (x INTEGER); INSERT INTO race_b VALUES (1);"},
  };
  std::vector<std::thread> nodes;
  std::vector<Status> results(4, Status::Ok());
  for (size_t i = 0; i < results.size(); ++i) {
    nodes.emplace_back([&, i] {
      auto node = where_->Open();
      results[i] = node.ok() ? (*node)->Migrate("race", more) : node.status();
    });
  }
  for (auto& t : nodes) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*db_->SchemaVersion("race"), 2);
  EXPECT_EQ((*db_->Query("SELECT COUNT(*) FROM race_b"))[0].Int(0), 1);  // ran once
}

// The read-then-write steps (the audit log's next index, a document's next
// version) rely on write transactions running one at a time on all nodes.
TEST_F(DatabaseContractTest, WritersOnSeveralNodesNumberWithoutGapsOrRepeats) {
  constexpr int kNodes = 3;
  constexpr int kEach = 40;
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&, i] {
      auto node = Open();
      for (int k = 0; k < kEach; ++k) {
        for (int attempt = 0;; ++attempt) {
          auto tx = node->Begin();
          ASSERT_TRUE(tx.ok()) << tx.status().ToString();
          auto next = (*tx)->Query("SELECT COALESCE(MAX(n), 0) + 1 FROM entries");
          ASSERT_TRUE(next.ok()) << next.status().ToString();
          ASSERT_TRUE((*tx)
                          ->Execute("INSERT INTO entries (n, node) VALUES (?, ?)",
                                    {(*next)[0].Int(0), "node-" + std::to_string(i)})
                          .ok());
          const Status st = (*tx)->Commit();
          if (st.ok()) break;
          ASSERT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
          ASSERT_LT(attempt, 5);
        }
      }
    });
  }
  for (auto& t : nodes) t.join();
  auto rows = db_->Query("SELECT n FROM entries ORDER BY n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), static_cast<size_t>(kNodes) * kEach);
  for (size_t i = 0; i < rows->size(); ++i) EXPECT_EQ((*rows)[i].Int(0), int64_t(i) + 1);
}

TEST_F(DatabaseContractTest, BytesAndTextComeBackWhole) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += "\\x00'?";  // what an escaping bug would mangle
  ASSERT_TRUE(db_->Execute("INSERT INTO entries (n, node, body) VALUES (?, ?, ?)",
                           {int64_t{1}, std::string("n1"), Bytes{bytes}})
                  .ok());
  auto rows = db_->Query("SELECT body, node FROM entries WHERE n = ?", {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].Text(0), bytes);
  const std::string text = "Pekeliling 7/2026 — 吉隆坡 — மலேசியா — 🇲🇾 '?' \"?\"";
  ASSERT_TRUE(db_->Execute("INSERT INTO notes (id, text) VALUES ('q?', ?)", {text}).ok());
  rows = db_->Query("SELECT id, text, '?' FROM notes WHERE text = ?", {text});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "q?");  // a ? inside a literal is not a placeholder
  EXPECT_EQ((*rows)[0].Text(1), text);
  EXPECT_EQ((*rows)[0].Text(2), "?");
}

// Text holding U+0000 or bytes that are not UTF-8 (a hostile file, a
// prompt's "\u0000") is kept, never cut there or refused: whole on SQLite,
// with U+FFFD in their place on PostgreSQL, which cannot store them.
TEST_F(DatabaseContractTest, TextWithANulOrBadBytesIsNeverCut) {
  constexpr char kHostile[] = "before\0after \xff\xfe end";
  const std::string text(kHostile, sizeof kHostile - 1);
  ASSERT_TRUE(db_->Execute("INSERT INTO notes (id, text) VALUES ('nul', ?)", {text}).ok());
  auto rows = db_->Query("SELECT text FROM notes WHERE id = 'nul'");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  if (where_->postgres()) {
    EXPECT_EQ((*rows)[0].Text(0), "before\uFFFDafter \uFFFD\uFFFD end");
  } else {
    EXPECT_EQ((*rows)[0].Text(0), text);
  }
}

// An id given where the database would assign one (SQLite's rowid alias).
TEST_F(DatabaseContractTest, GivenIdsAreKept) {
  ASSERT_TRUE(db_->Execute("INSERT INTO entries (n, node) VALUES (41, 'given')").ok());
  EXPECT_EQ(db_->Execute("INSERT INTO entries (n, node) VALUES (41, 'again')").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ((*db_->Query("SELECT node FROM entries WHERE n = 41"))[0].Text(0), "given");
}

TEST_F(DatabaseContractTest, NumbersAndAggregatesKeepTheirKinds) {
  for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{1} << 40})
    ASSERT_TRUE(db_->Execute("INSERT INTO entries (n, node) VALUES (?, 'x')", {n}).ok());
  auto rows = db_->Query("SELECT SUM(n), COUNT(*), MAX(n) > ?, AVG(n) FROM entries", {int64_t{5}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const Row& r = (*rows)[0];
  ASSERT_TRUE(std::holds_alternative<int64_t>(r.values[0]));
  EXPECT_EQ(r.Int(0), (int64_t{1} << 40) + 3);
  EXPECT_EQ(r.Int(1), 3);
  EXPECT_EQ(r.Int(2), 1);  // a comparison reads as 1 or 0 on every engine
  EXPECT_NEAR(r.Real(3), static_cast<double>((int64_t{1} << 40) + 3) / 3, 1.0);
  rows = db_->Query("SELECT ? * 2.5", {0.5});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_DOUBLE_EQ((*rows)[0].Real(0), 1.25);
}

// SQLite's types mean the same on PostgreSQL: 64-bit integers, doubles, and
// an INTEGER PRIMARY KEY assigned when not given.
TEST_F(DatabaseContractTest, SchemasMeanTheSameOnEveryEngine) {
  const int64_t big = int64_t{1} << 53;
  ASSERT_TRUE(db_->Execute("INSERT INTO ratios (r, big) VALUES (?, ?)", {1.0 / 3, big}).ok());
  ASSERT_TRUE(db_->Execute("INSERT INTO ratios (r, big) VALUES (?, ?)", {0.25, big + 1}).ok());
  auto rows = db_->Query("SELECT id, r, big FROM ratios ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Int(0), 1);
  EXPECT_EQ((*rows)[1].Int(0), 2);
  EXPECT_DOUBLE_EQ((*rows)[0].Real(1), 1.0 / 3);  // not a 4-byte float
  EXPECT_EQ((*rows)[1].Int(2), big + 1);
  auto given = db_->Query("INSERT INTO entries (node) VALUES ('auto') RETURNING n");
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ((*given)[0].Int(0), 1);
  EXPECT_TRUE(db_->Execute("INSERT INTO entries (n, node) VALUES (7, 'given')").ok());
  auto columns = db_->Columns("notes");
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ(*columns, (std::vector<std::string>{"id", "text", "INTEGER"}));
  EXPECT_TRUE(db_->Columns("no_such_table")->empty());
}

TEST_F(DatabaseContractTest, AFailedWriteLeavesNothingBehind) {
  ASSERT_TRUE(db_->Execute("INSERT INTO notes (id, text) VALUES ('dup', 'first')").ok());
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Execute("INSERT INTO notes (id, text) VALUES ('other', 'x')").ok());
    EXPECT_EQ((*tx)->Execute("INSERT INTO notes (id, text) VALUES ('dup', 'second')").code(),
              StatusCode::kFailedPrecondition);
  }  // not committed: rolled back, the handle's connection is fine afterwards
  auto rows = db_->Query("SELECT id, text FROM notes ORDER BY id");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(1), "first");
  for (int i = 0; i < 20; ++i) {  // more uses than the pool has connections
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    EXPECT_FALSE((*tx)->Execute("INSERT INTO nowhere VALUES (1)").ok());
  }
  EXPECT_TRUE(db_->Execute("INSERT INTO notes (id, text) VALUES ('after', 'ok')").ok());
}

TEST_F(DatabaseContractTest, ASnapshotSeesOneMoment) {
  ASSERT_TRUE(db_->Execute("INSERT INTO notes (id, text) VALUES ('a', 'x')").ok());
  auto snap = db_->BeginSnapshot();
  ASSERT_TRUE(snap.ok());
  auto other = Open();
  ASSERT_TRUE(other->Execute("INSERT INTO notes (id, text) VALUES ('b', 'y')").ok());
  EXPECT_EQ((*(*snap)->Query("SELECT COUNT(*) FROM notes"))[0].Int(0), 1);
  EXPECT_FALSE((*snap)->Execute("DELETE FROM notes").ok());
  EXPECT_TRUE((*snap)->Commit().ok());
  EXPECT_EQ((*db_->Query("SELECT COUNT(*) FROM notes"))[0].Int(0), 2);
}

// PostgreSQL only: what a transaction does after one of its statements
// failed, the pool's bound, and a server that is not there.
TEST_F(DatabaseContractTest, PostgresTransactionsAndPoolFailClearly) {
  if (!where_->postgres()) GTEST_SKIP() << "PostgreSQL only";
  {
    auto tx = db_->Begin();
    ASSERT_TRUE((*tx)->Execute("INSERT INTO notes (id, text) VALUES ('t1', 'x')").ok());
    EXPECT_FALSE((*tx)->Execute("INSERT INTO nowhere VALUES (1)").ok());
    EXPECT_EQ((*tx)->Execute("INSERT INTO notes (id, text) VALUES ('t2', 'x')").code(),
              StatusCode::kFailedPrecondition);
    EXPECT_FALSE((*tx)->Commit().ok());  // never reported as committed
  }
  EXPECT_TRUE(db_->Query("SELECT id FROM notes")->empty());
  {
    // A statement that ends the transaction itself: the rest would run
    // without the write lock, so the transaction does not report success.
    auto tx = db_->Begin();
    ASSERT_TRUE((*tx)->Execute("INSERT INTO notes (id, text) VALUES ('t3', 'x'); COMMIT").ok());
    EXPECT_EQ((*tx)->Commit().code(), StatusCode::kFailedPrecondition);
  }
  {
    // The server refuses a write in a snapshot, not only this client.
    auto snap = db_->BeginSnapshot();
    EXPECT_EQ((*snap)
                  ->Query("INSERT INTO notes (id, text) VALUES ('s', 'x') RETURNING id")
                  .status()
                  .code(),
              StatusCode::kFailedPrecondition);
  }
  // Pooled connections whose server sessions ended (a restart, a failover)
  // are replaced before anything is sent on them, not failed, however many
  // sat idle; a cluster lock's connection reports its loss.
  {
    auto t1 = db_->BeginSnapshot();  // readers: they take no write lock
    auto t2 = db_->BeginSnapshot();
    ASSERT_TRUE(t1.ok() && t2.ok());
  }  // two idle connections now
  auto watched = db_->TryLock("serve", LockMode::kShared);
  ASSERT_TRUE(watched.ok());
  EXPECT_TRUE((*watched)->StillHeld().ok());
  auto killer = Open();
  ASSERT_TRUE(killer
                  ->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname "
                          "= current_database() AND pid <> pg_backend_pid()")
                  .ok());
  // The sessions end a moment after they are told to: wait until this
  // process has seen them end (the lock's connection, ended with the rest).
  for (int i = 0; i < 250 && (*watched)->StillHeld().ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 3; ++i) {
    auto after = db_->Query("SELECT COUNT(*) FROM notes");
    EXPECT_TRUE(after.ok()) << i << ": " << after.status().ToString();
  }
  EXPECT_EQ((*watched)->StillHeld().code(), StatusCode::kUnavailable);
  watched->reset();

  auto small =
      OpenPostgres(where_->location(),
                   {.max_connections = 1, .wait_for_connection = std::chrono::milliseconds(200)});
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  {
    auto held = (*small)->Begin();
    ASSERT_TRUE(held.ok());
    EXPECT_EQ((*small)->Query("SELECT 1").status().code(), StatusCode::kUnavailable);
  }
  EXPECT_TRUE((*small)->Query("SELECT 1").ok());

  EXPECT_EQ(OpenDatabase("postgresql://nobody@127.0.0.1:1/none").status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(OpenDatabase("postgresql://h/db?no_such_option=1").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenDatabase("postgresq://h/db").status().code(), StatusCode::kInvalidArgument);
  // Advisory session locks: many share, one alone, gone with the holder.
  auto a = db_->TryLock("serve", LockMode::kShared);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(*(*a)->TryAlone());
  ASSERT_TRUE((*a)->EndAlone().ok());
  auto b = Open()->TryLock("serve", LockMode::kShared);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(*(*a)->TryAlone());
  EXPECT_EQ(db_->TryLock("serve", LockMode::kAlone).status().code(),
            StatusCode::kFailedPrecondition);
  b->reset();
  a->reset();
  EXPECT_TRUE(db_->TryLock("serve", LockMode::kAlone).ok());
  // Alone also means no other daulat process connected, whatever it holds:
  // a process whose lock went with a lost connection still shows.
  auto other = OpenDatabase(where_->location() + "?application_name=daulat/other");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->Query("SELECT 1").ok());
  EXPECT_EQ(db_->TryLock("serve", LockMode::kAlone).status().code(),
            StatusCode::kFailedPrecondition);
  auto mine = db_->TryLock("serve", LockMode::kShared);
  ASSERT_TRUE(mine.ok());
  EXPECT_FALSE(*(*mine)->TryAlone());
  other->reset();
  EXPECT_EQ(OpenPostgres(where_->location(), {.max_connections = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace daulat::store
