#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "store/database.h"
#include "store/postgres_connection.h"

namespace daulat::store {
namespace {

using internal::PostgresConnection;

// Held for the life of every write transaction, on every node: writes queue
// one at a time across the cluster, the same single-writer order SQLite's
// BEGIN IMMEDIATE gives one machine. The read-then-write steps that rely on
// it (the audit log's next leaf index, a document's next version, MAX+1
// numbering) stay correct however many nodes share the database.
constexpr int64_t kWriterLock = 0x4441554c41540001;  // "DAULAT" 0001

class PostgresDatabase;

class PostgresTransaction : public Transaction {
 public:
  PostgresTransaction(PostgresDatabase& owner, std::unique_ptr<PostgresConnection> conn,
                      bool read_only)
      : owner_(owner), conn_(std::move(conn)), read_only_(read_only) {}
  ~PostgresTransaction() override;
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }
  Status Execute(const std::string& sql, const std::vector<Value>& params) override {
    if (read_only_) return FailedPrecondition("a snapshot is read-only");
    return Run(sql, params, nullptr);
  }
  Result<std::vector<Row>> Query(const std::string& sql,
                                 const std::vector<Value>& params) override {
    std::vector<Row> rows;
    DAULAT_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }
  Result<std::vector<std::string>> Columns(const std::string& table) override;
  Status Commit() override {
    if (conn_->InFailedTransaction())
      return FailedPrecondition("the transaction was rolled back: one of its statements failed");
    std::string tag;
    DAULAT_RETURN_IF_ERROR(conn_->Run("COMMIT", {}, nullptr, &tag));
    // A transaction the server had already aborted answers COMMIT with
    // ROLLBACK and no error.
    if (tag != "COMMIT") return Unavailable("the database rolled the transaction back");
    committed_ = true;
    return Status::Ok();
  }

 private:
  Status Run(const std::string& sql, const std::vector<Value>& params, std::vector<Row>* rows) {
    if (conn_->InFailedTransaction())
      return FailedPrecondition(
          "an earlier statement of this transaction failed; it can only be rolled back");
    return conn_->Run(sql, params, rows);
  }

  PostgresDatabase& owner_;
  std::unique_ptr<PostgresConnection> conn_;
  bool read_only_;
  bool committed_ = false;
};

Result<std::vector<std::string>> ColumnsOf(StatementRunner& runner, const std::string& table) {
  std::string name = table;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto rows = runner.Query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
      "AND table_name = ? ORDER BY ordinal_position",
      {name});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(r.Text(0));
  return out;
}

Result<std::vector<std::string>> PostgresTransaction::Columns(const std::string& table) {
  return ColumnsOf(*this, table);
}

class PostgresDatabase : public Database {
 public:
  PostgresDatabase(std::string url, PostgresOptions options)
      : url_(std::move(url)), options_(options) {}

  Dialect dialect() const override { return Dialect::kPostgres; }

  std::string MigrationSql(const Migration& m) const override {
    return m.postgres_sql.empty() ? internal::PostgresSchema(m.sql) : m.postgres_sql;
  }

  // A connection of the pool's: an idle one, a new one while fewer than
  // max_connections are open, or the first one given back within the wait.
  Result<std::unique_ptr<PostgresConnection>> Take() {
    std::unique_lock lock(mu_);
    const bool free = freed_.wait_for(lock, options_.wait_for_connection, [this] {
      return !idle_.empty() || open_ < options_.max_connections;
    });
    if (!free) {
      return Unavailable("all " + std::to_string(options_.max_connections) +
                         " database connections stayed busy; try again");
    }
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
    lock.unlock();
    auto c = PostgresConnection::Open(url_);
    if (!c.ok()) {
      lock.lock();
      --open_;
      freed_.notify_one();
    }
    return c;
  }

  void Give(std::unique_ptr<PostgresConnection> c) {
    std::lock_guard lock(mu_);
    if (c->Reusable()) {
      idle_.push_back(std::move(c));
    } else {
      --open_;  // lost, or left inside a transaction: closed, not reused
      c.reset();
    }
    freed_.notify_one();
  }

  Result<std::unique_ptr<Transaction>> Begin() override {
    return Start("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kWriterLock) + ")", false);
  }

  Result<std::unique_ptr<Transaction>> BeginSnapshot() override {
    // The snapshot is taken by the transaction's first statement.
    return Start("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1", true);
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
  Result<std::unique_ptr<Transaction>> Start(const std::string& begin, bool read_only) {
    auto conn = Take();
    if (!conn.ok()) return conn.status();
    if (Status st = (*conn)->Run(begin, {}, nullptr); !st.ok()) {
      (void)(*conn)->Run("ROLLBACK", {}, nullptr);
      Give(std::move(conn).value());
      return st;
    }
    return std::unique_ptr<Transaction>(
        new PostgresTransaction(*this, std::move(conn).value(), read_only));
  }

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

  std::string url_;
  PostgresOptions options_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                                           // GUARDED_BY(mu_)
};

PostgresTransaction::~PostgresTransaction() {
  if (!committed_) (void)conn_->Run("ROLLBACK", {}, nullptr);
  owner_.Give(std::move(conn_));
}

// The checks a database must pass before daulat keeps records in it.
Status CheckServer(Database& db) {
  auto rows = db.Query(
      "SELECT current_setting('server_version_num')::int, pg_encoding_to_char(encoding), "
      "datcollate FROM pg_database WHERE datname = current_database()");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return FailedPrecondition("cannot read the database's settings");
  const Row& r = (*rows)[0];
  if (r.Int(0) < 140000)
    return FailedPrecondition("PostgreSQL " + r.Text(0) + " is too old: daulat needs 14 or newer");
  if (r.Text(1) != "UTF8")
    return FailedPrecondition("the database's encoding is " + r.Text(1) +
                              ": daulat needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')");
  // Listings page by comparing text: the order must be the bytes' order on
  // every node, as in SQLite, not a locale's.
  if (r.Text(2) != "C" && r.Text(2) != "POSIX")
    return FailedPrecondition("the database's collation is " + r.Text(2) +
                              ": daulat needs C (CREATE DATABASE ... TEMPLATE template0 "
                              "LC_COLLATE 'C' LC_CTYPE 'C')");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, PostgresOptions options) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return InvalidArgument("not a PostgreSQL connection URL: " + why);
  }
  PQconninfoFree(parsed);
  if (options.max_connections < 1) return InvalidArgument("the pool needs at least 1 connection");
  auto db = std::make_unique<PostgresDatabase>(url, options);
  DAULAT_RETURN_IF_ERROR(CheckServer(*db));
  return std::unique_ptr<Database>(std::move(db));
}

bool IsPostgresUrl(const std::string& location) {
  return location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& location) {
  if (IsPostgresUrl(location)) return OpenPostgres(location);
  return OpenSqlite(location);
}

}  // namespace daulat::store
