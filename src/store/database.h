#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

namespace daulat::store {

// Bytes that are not text, such as a vector's floats: a parameter for a
// BYTEA column on PostgreSQL (SQLite stores them as it stores text). Read
// back, they come as text (Row::Text gives the bytes).
struct Bytes {
  std::string data;
};

// One SQL parameter or column value. SQL text uses `?` placeholders and
// portable SQL (no engine-specific functions), so that the same statements
// run on SQLite and PostgreSQL.
// Text is UTF-8. PostgreSQL cannot store U+0000 or bytes that are not UTF-8
// in text: there each is stored as U+FFFD, so nothing after it is lost.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Bytes>;

struct Row {
  std::vector<Value> values;

  bool IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(values.at(i)); }
  int64_t Int(size_t i) const;       // 0 for NULL
  double Real(size_t i) const;       // 0 for NULL
  std::string Text(size_t i) const;  // "" for NULL; numbers as text
};

struct Migration {
  Migration(int v, std::string n, std::string s, std::string pg = {})
      : version(v), name(std::move(n)), sql(std::move(s)), postgres_sql(std::move(pg)) {}

  int version;       // 1, 2, 3, ...: applied in order, each exactly once
  std::string name;  // shown in logs and errors
  std::string sql;   // one or more statements
  // The same change for PostgreSQL where a word-for-word reading of `sql`
  // would not do; empty: `sql` with SQLite's types in PostgreSQL's words
  // (INTEGER is BIGINT, INTEGER PRIMARY KEY an identity column, REAL is
  // DOUBLE PRECISION, BLOB is BYTEA).
  std::string postgres_sql;
};

// Which engine runs the statements, for the few places whose SQL differs.
enum class Dialect { kSqlite, kPostgres };

// Where statements run: the database itself (each call on its own
// connection, autocommit) or one transaction.
class StatementRunner {
 public:
  virtual ~StatementRunner() = default;
  virtual Dialect dialect() const = 0;
  virtual Status Execute(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  virtual Result<std::vector<Row>> Query(const std::string& sql,
                                         const std::vector<Value>& params = {}) = 0;
  // The table's column names; empty when there is no such table.
  virtual Result<std::vector<std::string>> Columns(const std::string& table) = 0;
};

// A unit of work. Rolls back on destruction unless Commit() succeeded.
// Not thread-safe; belongs to one thread at a time.
class Transaction : public StatementRunner {
 public:
  virtual Status Commit() = 0;
};

// A lock that processes on every node sharing a database take by name:
// many at once (shared) or one alone. Held until the object goes or its
// process ends, however it ends (the server drops a dead session's locks).
class SessionLock {
 public:
  virtual ~SessionLock() = default;
  // Held shared: also takes it alone when no other process holds it (and
  // no other daulat process is connected), answering whether it did. Never
  // waits.
  virtual Result<bool> TryAlone() = 0;
  // Back to shared after TryAlone() answered true.
  virtual Status EndAlone() = 0;
  // UNAVAILABLE when the connection holding the lock was lost (the lock
  // went with it); the holder takes a new one.
  virtual Status StillHeld() = 0;
};
enum class LockMode { kShared, kAlone };

// The system of record. Implementations: SQLite (embedded, WAL, one
// machine) and PostgreSQL (many nodes sharing one database). Thread-safe: each call or transaction
// takes a connection of its own. Errors: INVALID_ARGUMENT for SQL the engine rejects (a bug in the
// caller), FAILED_PRECONDITION for constraint violations (duplicates), UNAVAILABLE when the
// database is busy or locked, DATA_LOSS for corruption. Execute and Query outside Begin() run one
// statement (or script) outside an explicit transaction.
class Database : public StatementRunner {
 public:
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  // A read-only unit of work that sees one state of the database for its
  // whole life, however many statements it runs: writes committed meanwhile
  // by others stay invisible to it. Execute in it fails; Commit ends it.
  // For checks that compare several queries (the audit log's verification).
  virtual Result<std::unique_ptr<Transaction>> BeginSnapshot() = 0;

  // Applies a component's migrations newer than its stored schema version,
  // each in its own transaction, recording it in schema_migrations. Each
  // component ("audit", "identity", ...) numbers its own migrations.
  // FAILED_PRECONDITION if the database is newer than this program knows.
  Status Migrate(const std::string& component, const std::vector<Migration>& migrations);
  Result<int> SchemaVersion(const std::string& component);

  // The statements that apply `m` on this engine.
  virtual std::string MigrationSql(const Migration& m) const { return m.sql; }

  // Takes the named lock: shared (waiting up to the lock timeout while a
  // process holds it alone), or alone (not waiting; also refused while any
  // other daulat process is connected to the database, whatever it holds).
  // FAILED_PRECONDITION saying why when it cannot. SQLite answers null: it
  // lives on one machine, whose processes use DataFolderLock's file locks.
  virtual Result<std::unique_ptr<SessionLock>> TryLock(const std::string& name, LockMode mode) {
    (void)name;
    (void)mode;
    return std::unique_ptr<SessionLock>();
  }
};

// Opens (creating if needed) a SQLite database file in WAL mode with foreign
// keys on and a busy timeout. ":memory:" is refused: use a temp file.
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path);

struct PostgresOptions {
  int max_connections = 16;  // the pool's bound, per process
  // How long a caller waits for a busy pool before UNAVAILABLE.
  std::chrono::milliseconds wait_for_connection{5000};
};
// Connects to a PostgreSQL database given as a URL
// (postgresql://user@host:port/dbname?sslmode=...). The database must use
// UTF8 and the C collation (listings compare text byte by byte).
// Write transactions hold one cluster-wide advisory lock, so writers on all
// nodes run one at a time, as SQLite's writers do on one machine.
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url,
                                               PostgresOptions options = {});
bool IsPostgresUrl(const std::string& location);
// A postgres:// or postgresql:// URL opens PostgreSQL; anything else is a
// SQLite file path.
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& location);

// Every statement on tenant data goes through one of these: the scope, not
// the caller, writes `tenant_id = ?` and binds the tenant, so no caller can
// forget it or pass another tenant's id. Over the database (autocommit) or
// inside a transaction. Table and column names are identifiers from our own
// code, never user input (checked: letters, digits, '_').
class TenantScope {
 public:
  TenantScope(StatementRunner& runner, std::string tenant_id)
      : runner_(runner), tenant_(std::move(tenant_id)) {}
  const std::string& tenant_id() const { return tenant_; }

  Status Insert(const std::string& table, const std::vector<std::string>& columns,
                const std::vector<Value>& values);
  // `columns` are names, or COUNT(*), COUNT(c), MAX(c), MIN(c), SUM(c).
  // `where` is extra conditions ANDed after the tenant filter, e.g. "id = ?".
  // `order_by` is "column [ASC|DESC], ..."; `limit` 0 means all rows.
  Result<std::vector<Row>> Select(const std::string& table, const std::vector<std::string>& columns,
                                  const std::string& where = "",
                                  const std::vector<Value>& params = {},
                                  const std::string& order_by = "", int64_t limit = 0);
  // Returns how many rows changed.
  Result<int64_t> Update(const std::string& table, const std::vector<std::string>& columns,
                         const std::vector<Value>& values, const std::string& where,
                         const std::vector<Value>& params);
  Result<int64_t> Delete(const std::string& table, const std::string& where,
                         const std::vector<Value>& params);

  // Statements one table's helpers above cannot say: joins, grouping,
  // ranking subqueries, deletes through another table. Each table the
  // statement names after FROM, JOIN or UPDATE marks its filter as
  // `{tenant}` (the statement's one table, unaliased) or `{tenant:alias}`;
  // the scope writes `alias.tenant_id = ?` there and binds its tenant.
  // `params` bind the statement's own `?`, in order.
  // INVALID_ARGUMENT, before anything runs, when a named table that has a
  // tenant_id column lacks its marker, when the statement filters tenant_id
  // by hand, or when `params` do not match its placeholders.
  Result<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params = {});
  Status Execute(const std::string& sql, const std::vector<Value>& params = {});

 private:
  Result<std::string> Bind(const std::string& sql, const std::vector<Value>& params,
                           std::vector<Value>& bound);
  Result<bool> HasTenantColumn(const std::string& table);

  StatementRunner& runner_;
  std::string tenant_;
};

}  // namespace daulat::store
