// The text index ranks the same on both engines: FTS5's bm25() on SQLite,
// postings kept by triggers on PostgreSQL (run in the "pg." suite).
#include "knowledge/text_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "test_database.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

constexpr const char* kIndex = "kn_index_00112233aabbccdd";

std::map<int64_t, double> Ranked(store::Database& db, const std::vector<std::string>& terms) {
  std::vector<store::Value> params;
  const std::string sql = internal::RankedMatches(db.dialect(), kIndex, terms, params);
  auto rows = db.Query(sql, params);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<int64_t, double> out;
  if (rows.ok())
    for (const auto& r : *rows) out[r.Int(0)] = r.Real(1);
  return out;
}

std::map<std::string, int64_t> Vocabulary(store::Database& db) {
  auto rows = db.Query(std::string("SELECT term, doc FROM ") + kIndex + "_vocab");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<std::string, int64_t> out;
  if (rows.ok())
    for (const auto& r : *rows) out[r.Text(0)] = r.Int(1);
  return out;
}

int64_t Count(store::Database& db, const std::vector<std::string>& terms, int64_t limit) {
  std::vector<store::Value> params;
  const std::string sql = internal::CountMatches(db.dialect(), kIndex, terms, limit, params);
  auto rows = db.Query(sql, params);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? rows->front().Int(0) : -1;
}

TEST(TextIndexTest, BothEnginesRankAndCountAlike) {
  if (!testing::TestsUsePostgres()) GTEST_SKIP() << "compares SQLite with PostgreSQL (pg.*)";
  const auto dir = testing::MakeTempDir("text-index");
  auto sqlite = std::move(store::OpenSqlite((dir / "fts5.db").string())).value();
  auto other = testing::OpenTestDatabase(dir);  // PostgreSQL in the "pg." run
  std::vector<store::Database*> engines = {sqlite.get(), other.get()};
  for (auto* db : engines) {
    // Twice: making an index that exists changes nothing.
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(db->Execute(internal::TextIndexSchema(db->dialect(), kIndex)).ok());
  }
  // Passages of Zipf-like terms and varied lengths, repeated terms included.
  std::mt19937 rng(7);
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 300; ++i) vocabulary.push_back("t" + std::to_string(1000 + i));
  auto term = [&] {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return vocabulary[static_cast<size_t>(std::pow(u, 3) * 299)];
  };
  for (int64_t id = 1; id <= 400; ++id) {
    std::string terms;
    const int n = std::uniform_int_distribution<int>(0, 60)(rng);
    for (int k = 0; k < n; ++k) terms += (terms.empty() ? "" : " ") + term();
    for (auto* db : engines) {
      ASSERT_TRUE(
          db->Execute(std::string("INSERT INTO ") + kIndex + " (rowid, terms) VALUES (?, ?)",
                      {id * 3, terms})
              .ok());
    }
  }
  for (auto* db : engines) {  // deletions must leave the statistics right too
    ASSERT_TRUE(
        db->Execute(std::string("DELETE FROM ") + kIndex + " WHERE rowid IN (3, 30, 300, 900)")
            .ok());
  }
  const std::vector<std::vector<std::string>> queries = {
      {"t1000"}, {"t1001", "t1150"}, {"t1299", "t1003", "t1040", "t1200"}, {"t1250"}, {"nothing"}};
  for (const auto& q : queries) {
    const auto expected = Ranked(*sqlite, q);
    const auto got = Ranked(*other, q);
    ASSERT_EQ(got.size(), expected.size()) << q.front();
    for (const auto& [id, score] : expected) {
      ASSERT_EQ(got.count(id), 1u) << id;
      EXPECT_NEAR(got.at(id), score, 1e-9 * std::max(1.0, std::abs(score)))
          << q.front() << " " << id;
    }
    EXPECT_EQ(Count(*other, q, 1000), static_cast<int64_t>(expected.size()));
    EXPECT_EQ(Count(*other, q, 5), std::min<int64_t>(5, static_cast<int64_t>(expected.size())));
  }
  EXPECT_EQ(Vocabulary(*other), Vocabulary(*sqlite));
  for (auto* db : engines) {
    auto tables = db->Query(internal::TextIndexTables(db->dialect()));
    ASSERT_TRUE(tables.ok()) << tables.status().ToString();
    ASSERT_EQ(tables->size(), 1u);
    EXPECT_EQ(tables->front().Text(0), kIndex);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace daulat::knowledge
