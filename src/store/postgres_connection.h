#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "store/database.h"

// Internal to the PostgreSQL Database: one libpq connection and the
// translation between our portable SQL (`?` placeholders, Value) and
// PostgreSQL's wire forms.
namespace daulat::store::internal {

// `?` placeholders become `$1`, `$2`, ...; a `?` inside a string literal, a
// quoted identifier or a comment stays as it is. `count` receives how many
// there were.
std::string NumberedPlaceholders(const std::string& sql, size_t& count);

// SQLite DDL with its types in PostgreSQL's words: INTEGER PRIMARY KEY (a
// rowid alias: given or else assigned) becomes a BIGINT identity column that
// accepts given values, INTEGER (64-bit in SQLite) BIGINT, REAL DOUBLE
// PRECISION, BLOB BYTEA. Upper-case words outside literals only.
std::string PostgresSchema(const std::string& sqlite_ddl);

// A PostgreSQL error as our status codes (the contract of store::Database).
Status PostgresError(const std::string& sqlstate, const std::string& message);

// One connection, used by one thread at a time (taken from the pool).
class PostgresConnection {
 public:
  // Connects and sets the session up: UTC, lock and idle-transaction
  // timeouts, notices silenced.
  // `application_name` names this process to the server (pg_stat_activity).
  static Result<std::unique_ptr<PostgresConnection>> Open(const std::string& url,
                                                          const std::string& application_name);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Runs `sql` (several statements when there are no params). Rows of the
  // last statement go to `rows` when given. `tag` receives the command tag
  // ("COMMIT", "ROLLBACK", "INSERT 0 1") when given.
  Status Run(const std::string& sql, const std::vector<Value>& params, std::vector<Row>* rows,
             std::string* tag = nullptr);

  // False once the server went away or the connection was left inside a
  // transaction: such a connection is closed instead of reused.
  bool Reusable() const;
  // Inside a transaction that an error aborted: only ROLLBACK works.
  bool InFailedTransaction() const;
  // Inside a transaction that can still commit.
  bool InTransaction() const;
  // The server went away (or the network to it).
  bool Lost() const;
  // Reads, without waiting, whatever the server sent while the connection
  // sat idle: a server that ended the session (a restart, a failover, an
  // administrator) has said so, and the connection is Lost() before any
  // statement is sent on it.
  bool AliveWhenIdle();

 private:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace daulat::store::internal
