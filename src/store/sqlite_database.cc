#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "store/database.h"

namespace daulat::store {
namespace {

Status SqliteError(sqlite3* db, int rc, const std::string& what) {
  const std::string msg = what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return FailedPrecondition(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Unavailable(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLoss(msg);
    case SQLITE_FULL:
      return StorageFull("the disk holding the database is full; nothing was changed (" + msg +
                         ")");
    case SQLITE_READONLY:
      return Unavailable(
          "the database cannot be written: its folder is read-only; nothing was "
          "changed (" +
          msg + ")");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN: return Unavailable("the database's disk failed: " + msg);
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return InvalidArgument(msg);
    default: return Internal(msg);
  }
}

// One SQLite connection, used by one thread at a time (taken from the pool).
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(db));
    if (rc != SQLITE_OK) return SqliteError(db, rc, "cannot open database " + path);
    sqlite3_busy_timeout(db, 5000);
    DAULAT_RETURN_IF_ERROR(conn->Run("PRAGMA foreign_keys = ON", {}, nullptr));
    DAULAT_RETURN_IF_ERROR(conn->Run("PRAGMA synchronous = FULL", {}, nullptr));
    // Deleted rows (an erased document's text, an expired content log) are
    // overwritten with zeros, not left readable in free pages.
    DAULAT_RETURN_IF_ERROR(conn->Run("PRAGMA secure_delete = ON", {}, nullptr));
    // Reads of a large library (chunk text, the text index) stay in memory:
    // a 32 MiB page cache per connection, and the file mapped for reads
    // (up to 1 GiB) instead of copied page by page.
    DAULAT_RETURN_IF_ERROR(conn->Run("PRAGMA cache_size = -32768", {}, nullptr));
    DAULAT_RETURN_IF_ERROR(conn->Run("PRAGMA mmap_size = 1073741824", {}, nullptr));
    return conn;
  }
  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  // Runs every statement in `sql`; `params` bind to the single statement when given.
  Status Run(const std::string& sql, const std::vector<Value>& params, std::vector<Row>* rows) {
    // A single statement is prepared once per connection and kept: the
    // queries on the request path (key lookup, policy, audit) skip SQLite's
    // parser and planner after their first use.
    if (auto it = cache_.find(sql); it != cache_.end()) {
      const Rewind rewind{it->second};
      return Step(it->second, params, rows);
    }
    const char* tail = sql.c_str();
    const char* end = tail + sql.size();
    while (tail < end) {
      sqlite3_stmt* stmt = nullptr;
      const char* start = tail;
      int rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &stmt, &tail);
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "invalid SQL");
      if (stmt == nullptr) continue;  // whitespace or a comment
      const bool whole = start == sql.c_str() &&
                         std::string_view(tail, end - tail).find_first_not_of(" \t\r\n;") ==
                             std::string_view::npos;
      if (whole && cache_.size() < kCachedStatements) {
        cache_.emplace(sql, stmt);
        const Rewind rewind{stmt};
        return Step(stmt, params, rows);
      }
      std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
      DAULAT_RETURN_IF_ERROR(Step(stmt, params, rows));
    }
    return Status::Ok();
  }

 private:
  static constexpr size_t kCachedStatements = 256;

  // A kept statement is reset whatever happens while it runs, so it never
  // holds a read snapshot (or stale bindings) between uses.
  struct Rewind {
    explicit Rewind(sqlite3_stmt* s) : stmt(s) {}
    sqlite3_stmt* stmt;
    Rewind(const Rewind&) = delete;
    Rewind& operator=(const Rewind&) = delete;
    ~Rewind() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  };

  Status Step(sqlite3_stmt* stmt, const std::vector<Value>& params, std::vector<Row>* rows) {
    int rc = SQLITE_OK;
    if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size() &&
        !(params.empty() && sqlite3_bind_parameter_count(stmt) == 0)) {
      return InvalidArgument("statement has " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                             " placeholders but " + std::to_string(params.size()) +
                             " values were given");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i + 1);
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else {
        // Bytes as text too: the columns that hold them were made TEXT.
        const auto* b = std::get_if<Bytes>(&v);
        const std::string& s = b != nullptr ? b->data : std::get<std::string>(v);
        rc = sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "cannot bind parameter");
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (rows == nullptr) continue;
      Row row;
      const int n = sqlite3_column_count(stmt);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL: row.values.emplace_back(nullptr); break;
          case SQLITE_INTEGER:
            row.values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT: row.values.emplace_back(sqlite3_column_double(stmt, c)); break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            row.values.emplace_back(
                std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
          }
        }
      }
      rows->push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "statement failed");
    return Status::Ok();
  }

  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;  // prepared single statements
};

Result<std::vector<std::string>> ColumnsOf(StatementRunner& runner, const std::string& table) {
  auto rows = runner.Query("SELECT name FROM pragma_table_info(?)", {table});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.Text(0));
  return out;
}

class SqliteDatabase;

class SqliteTransaction : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase& owner, std::unique_ptr<Connection> conn, bool read_only)
      : owner_(owner), conn_(std::move(conn)), read_only_(read_only) {}
  ~SqliteTransaction() override;
  Dialect dialect() const override { return Dialect::kSqlite; }
  Status Execute(const std::string& sql, const std::vector<Value>& params) override {
    if (read_only_) return FailedPrecondition("a snapshot is read-only");
    return conn_->Run(sql, params, nullptr);
  }
  Result<std::vector<Row>> Query(const std::string& sql,
                                 const std::vector<Value>& params) override {
    std::vector<Row> rows;
    DAULAT_RETURN_IF_ERROR(conn_->Run(sql, params, &rows));
    return rows;
  }
  Result<std::vector<std::string>> Columns(const std::string& table) override {
    return ColumnsOf(*this, table);
  }
  Status Commit() override {
    DAULAT_RETURN_IF_ERROR(conn_->Run("COMMIT", {}, nullptr));
    committed_ = true;
    return Status::Ok();
  }

 private:
  SqliteDatabase& owner_;
  std::unique_ptr<Connection> conn_;
  bool read_only_;
  bool committed_ = false;
};

class SqliteDatabase : public Database {
 public:
  explicit SqliteDatabase(std::string path) : path_(std::move(path)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<std::unique_ptr<Connection>> Take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return Connection::Open(path_);
  }
  void Give(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < 8) idle_.push_back(std::move(c));
  }

  Result<std::unique_ptr<Transaction>> Begin() override {
    auto conn = Take();
    if (!conn.ok()) return conn.status();
    // IMMEDIATE: take the write lock up front, so two writers queue on the
    // busy timeout instead of failing when one upgrades.
    DAULAT_RETURN_IF_ERROR((*conn)->Run("BEGIN IMMEDIATE", {}, nullptr));
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(*this, std::move(conn).value(), false));
  }

  Result<std::unique_ptr<Transaction>> BeginSnapshot() override {
    auto conn = Take();
    if (!conn.ok()) return conn.status();
    // In WAL mode a deferred transaction's snapshot is fixed by its first
    // read, so read once now rather than at the caller's first query.
    DAULAT_RETURN_IF_ERROR((*conn)->Run("BEGIN DEFERRED", {}, nullptr));
    std::unique_ptr<Transaction> tx(new SqliteTransaction(*this, std::move(conn).value(), true));
    DAULAT_RETURN_IF_ERROR(tx->Query("SELECT count(*) FROM sqlite_master", {}).status());
    return tx;
  }

  Status Execute(const std::string& sql, const std::vector<Value>& params) override {
    return Autocommit(sql, params, false).status();
  }
  Result<std::vector<Row>> Query(const std::string& sql,
                                 const std::vector<Value>& params) override {
    return Autocommit(sql, params, true);
  }
  Result<std::vector<std::string>> Columns(const std::string& table) override {
    return ColumnsOf(*this, table);
  }

 private:
  Result<std::vector<Row>> Autocommit(const std::string& sql, const std::vector<Value>& params,
                                      bool want_rows) {
    auto conn = Take();
    if (!conn.ok()) return conn.status();
    std::vector<Row> rows;
    Status st = (*conn)->Run(sql, params, want_rows ? &rows : nullptr);
    Give(std::move(conn).value());
    if (!st.ok()) return st;
    return rows;
  }

  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)
};

SqliteTransaction::~SqliteTransaction() {
  if (!committed_) (void)conn_->Run("ROLLBACK", {}, nullptr);
  owner_.Give(std::move(conn_));
}

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path) {
  if (path.empty() || path == ":memory:")
    return InvalidArgument("a SQLite database needs a file path");
  auto db = std::make_unique<SqliteDatabase>(path);
  auto conn = db->Take();
  if (!conn.ok()) return conn.status();
  // WAL: readers never block the writer; the mode is stored in the file.
  std::vector<Row> mode;
  if (Status st = (*conn)->Run("PRAGMA journal_mode = WAL", {}, &mode); !st.ok()) return st;
  if (mode.empty() || mode[0].Text(0) != "wal")
    return FailedPrecondition("cannot switch " + path + " to WAL mode");
  if (Status st = (*conn)->Run("SELECT count(*) FROM sqlite_master", {}, nullptr); !st.ok())
    return st;
  // Only the service's own user reads the record (files made before the
  // process's umask was set included).
  for (const char* suffix : {"", "-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0600);
  db->Give(std::move(conn).value());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace daulat::store
