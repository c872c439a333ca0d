#pragma once

#include <string>
#include <vector>

#include "store/database.h"

// Internal to Library: a tenant's full-text (BM25) index of its passages,
// named kn_index_<hash> (library_internal.h IndexTableName), with columns
// rowid (the chunk id) and terms (IndexTerms: hashed tokens, one space
// apart). Statements insert into it, delete from it by rowid and read
// document frequencies from <name>_vocab (term, doc) the same way on both
// engines:
// - SQLite: an FTS5 table and its fts5vocab table;
// - PostgreSQL: a plain table whose triggers keep a postings table and the
//   table's token totals, with <name>_vocab a view over the postings; the
//   table changes by INSERT and DELETE only (UPDATE and TRUNCATE fail).
// Only ranking differs in SQL, and it gives FTS5's bm25() on both: k1 1.2,
// b 0.75, idf ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6, the score
// negated (lower is better).
namespace daulat::knowledge::internal {

// Creates the index (and what keeps it) when missing.
std::string TextIndexSchema(store::Dialect dialect, const std::string& name);

// Makes the index when missing: once, under the write lock (nodes making
// one tenant's index at once do not race); when it is there, only a read.
Status CreateTextIndex(store::Database& db, const std::string& name);

// Adds passages, `rows` holding (chunk id, terms) pairs, in few statements:
// PostgreSQL's triggers then update the index totals once per statement.
Status AddToIndex(store::StatementRunner& tx, const std::string& name,
                  const std::vector<store::Value>& rows);

// Names of every tenant's index table in the database (one column, name).
std::string TextIndexTables(store::Dialect dialect);

// SELECT id, score of the passages holding any of `terms` (one or more),
// unordered; the terms go into `params`.
std::string RankedMatches(store::Dialect dialect, const std::string& name,
                          const std::vector<std::string>& terms, std::vector<store::Value>& params);

// SELECT COUNT(*) of the passages holding any of `terms`, counting at most
// `limit`; the terms and the limit go into `params`.
std::string CountMatches(store::Dialect dialect, const std::string& name,
                         const std::vector<std::string>& terms, int64_t limit,
                         std::vector<store::Value>& params);

// Written after a table name where passages are picked by id: SQLite would
// otherwise walk a tenant's whole index of chunks. PostgreSQL plans it well.
const char* ById(store::Dialect dialect);

}  // namespace daulat::knowledge::internal
