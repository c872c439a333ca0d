#include "knowledge/text_index.h"

#include <algorithm>

namespace daulat::knowledge::internal {
namespace {

using store::Dialect;

// The trigger functions serve every tenant's index: the postings and totals
// tables are named after the table that fired them. Statement-level, with
// the statement's rows as a transition table: a document's passages, added
// in one INSERT, update the totals once, not once per passage.
constexpr const char* kPostgresSync = R"(
CREATE OR REPLACE FUNCTION kn_index_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %I (term, rowid, tf) SELECT t, a.rowid, COUNT(*) FROM kn_added a '
                 'CROSS JOIN LATERAL unnest(string_to_array(a.terms, '' '')) t '
                 'WHERE t <> '''' GROUP BY t, a.rowid', TG_TABLE_NAME || '_post');
  EXECUTE format('UPDATE %I SET rows = rows + s.n, tokens = tokens + s.l FROM '
                 '(SELECT COUNT(*) AS n, COALESCE(SUM(len), 0) AS l FROM kn_added) s',
                 TG_TABLE_NAME || '_totals');
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION kn_index_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I p USING kn_removed r WHERE p.rowid = r.rowid',
                 TG_TABLE_NAME || '_post');
  EXECUTE format('UPDATE %I SET rows = rows - s.n, tokens = tokens - s.l FROM '
                 '(SELECT COUNT(*) AS n, COALESCE(SUM(len), 0) AS l FROM kn_removed) s',
                 TG_TABLE_NAME || '_totals');
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION kn_index_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a text index changes by INSERT and DELETE only (its postings follow them)';
END $$;
)";

std::string TermList(const std::vector<std::string>& terms, std::vector<store::Value>& params) {
  std::string out;
  for (const auto& t : terms) {
    out += out.empty() ? "(?)" : ", (?)";
    params.emplace_back(t);
  }
  return out;
}

std::string FtsMatch(const std::vector<std::string>& terms, std::vector<store::Value>& params) {
  std::string match;
  for (const auto& t : terms) match += (match.empty() ? "" : " OR ") + t;
  params.emplace_back(match);
  return match;
}

}  // namespace

std::string TextIndexSchema(Dialect dialect, const std::string& name) {
  if (dialect == Dialect::kSqlite) {
    // Document frequencies (the _vocab table), for leaving near-universal
    // terms out of big searches.
    return "CREATE VIRTUAL TABLE IF NOT EXISTS " + name +
           " USING fts5(terms); CREATE VIRTUAL TABLE IF NOT EXISTS " + name +
           "_vocab USING fts5vocab(" + name + ", 'row');";
  }
  return std::string(kPostgresSync) + "CREATE TABLE IF NOT EXISTS " + name +
         " (rowid BIGINT PRIMARY KEY, terms TEXT NOT NULL, len BIGINT GENERATED ALWAYS AS "
         "(cardinality(array_remove(string_to_array(terms, ' '), ''))) STORED);"
         "CREATE TABLE IF NOT EXISTS " +
         name +
         "_post (term TEXT NOT NULL, rowid BIGINT NOT NULL, tf BIGINT NOT NULL, "
         "PRIMARY KEY (term, rowid));"
         "CREATE INDEX IF NOT EXISTS " +
         name + "_post_rowid ON " + name + "_post (rowid);" + "CREATE TABLE IF NOT EXISTS " + name +
         "_totals (rows BIGINT NOT NULL, tokens BIGINT NOT NULL);"
         "INSERT INTO " +
         name + "_totals SELECT 0, 0 WHERE NOT EXISTS (SELECT 1 FROM " + name +
         "_totals);"
         "CREATE OR REPLACE VIEW " +
         name + "_vocab AS SELECT term, COUNT(*) AS doc FROM " + name +
         "_post GROUP BY term;"
         "CREATE OR REPLACE TRIGGER " +
         name + "_added AFTER INSERT ON " + name +
         " REFERENCING NEW TABLE AS kn_added FOR EACH STATEMENT EXECUTE FUNCTION "
         "kn_index_added();"
         "CREATE OR REPLACE TRIGGER " +
         name + "_removed AFTER DELETE ON " + name +
         " REFERENCING OLD TABLE AS kn_removed FOR EACH STATEMENT EXECUTE FUNCTION "
         "kn_index_removed();"
         "CREATE OR REPLACE TRIGGER " +
         name + "_frozen BEFORE UPDATE OR TRUNCATE ON " + name +
         " FOR EACH STATEMENT EXECUTE FUNCTION kn_index_frozen();";
}

Status CreateTextIndex(store::Database& db, const std::string& name) {
  // The vocabulary, made last, is what is looked for: indexes from before
  // it existed get it now.
  const std::string exists = db.dialect() == Dialect::kSqlite
                                 ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
                                 : "SELECT 1 WHERE to_regclass(?) IS NOT NULL";
  const std::vector<store::Value> vocab = {name + "_vocab"};
  auto found = db.Query(exists, vocab);
  if (!found.ok()) return found.status();
  if (!found->empty()) return Status::Ok();
  auto tx = db.Begin();
  if (!tx.ok()) return tx.status();
  found = (*tx)->Query(exists, vocab);
  if (!found.ok()) return found.status();
  if (found->empty()) DAULAT_RETURN_IF_ERROR((*tx)->Execute(TextIndexSchema(db.dialect(), name)));
  return (*tx)->Commit();
}

Status AddToIndex(store::StatementRunner& tx, const std::string& name,
                  const std::vector<store::Value>& rows) {
  // 500 passages a statement: two parameters each, SQLite allows 32,766.
  constexpr size_t kPerStatement = size_t{2} * 500;
  for (size_t at = 0; at < rows.size(); at += kPerStatement) {
    const size_t n = std::min(rows.size() - at, kPerStatement);
    std::string sql = "INSERT INTO " + name + " (rowid, terms) VALUES ";
    for (size_t i = 0; i < n / 2; ++i) sql += i == 0 ? "(?, ?)" : ", (?, ?)";
    DAULAT_RETURN_IF_ERROR(tx.Execute(
        sql, std::vector<store::Value>(rows.begin() + static_cast<std::ptrdiff_t>(at),
                                       rows.begin() + static_cast<std::ptrdiff_t>(at + n))));
  }
  return Status::Ok();
}

std::string TextIndexTables(Dialect dialect) {
  if (dialect == Dialect::kSqlite) {
    return "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'kn\\_index\\_%' "
           "ESCAPE '\\' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5(terms)%'";
  }
  return "SELECT table_name FROM information_schema.tables WHERE table_schema = "
         "current_schema() AND table_type = 'BASE TABLE' AND table_name ~ "
         "'^kn_index_[0-9a-f]{16}$'";
}

std::string RankedMatches(Dialect dialect, const std::string& name,
                          const std::vector<std::string>& terms,
                          std::vector<store::Value>& params) {
  if (dialect == Dialect::kSqlite) {
    FtsMatch(terms, params);
    return "SELECT rowid AS id, bm25(" + name + ") AS score FROM " + name + " WHERE " + name +
           " MATCH ?";
  }
  const std::string post = name + "_post";
  return "SELECT p.rowid AS id, -SUM(w.idf * p.tf * 2.2 / (p.tf + 1.2 * (0.25 + 0.75 * x.len / "
         "t.avgdl))) AS score FROM " +
         post +
         " p JOIN (SELECT q.term, GREATEST(ln((t0.rows - COUNT(*) + 0.5)::float8 / "
         "(COUNT(*) + 0.5)), 1e-6) AS idf FROM (VALUES " +
         TermList(terms, params) + ") q (term) JOIN " + post +
         " p0 ON p0.term = q.term CROSS JOIN " + name +
         "_totals t0 GROUP BY q.term, t0.rows) w ON w.term = p.term JOIN " + name +
         " x ON x.rowid = p.rowid CROSS JOIN (SELECT tokens::float8 / GREATEST(rows, 1) AS avgdl "
         "FROM " +
         name + "_totals) t GROUP BY p.rowid";
}

std::string CountMatches(Dialect dialect, const std::string& name,
                         const std::vector<std::string>& terms, int64_t limit,
                         std::vector<store::Value>& params) {
  std::string sql;
  if (dialect == Dialect::kSqlite) {
    FtsMatch(terms, params);
    sql = "SELECT COUNT(*) FROM (SELECT 1 FROM " + name + " WHERE " + name + " MATCH ? LIMIT ?)";
  } else {
    sql = "SELECT COUNT(*) FROM (SELECT DISTINCT p.rowid FROM " + name + "_post p JOIN (VALUES " +
          TermList(terms, params) + ") q (term) ON q.term = p.term LIMIT ?) m";
  }
  params.emplace_back(limit);
  return sql;
}

const char* ById(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "NOT INDEXED " : "";
}

}  // namespace daulat::knowledge::internal
