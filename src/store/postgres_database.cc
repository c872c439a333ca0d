#include <unistd.h>

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

std::string ProcessName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string name = "daulat/" + std::to_string(::getpid()) + "@" + host;
  return name.substr(0, 63);  // PostgreSQL keeps 63 bytes
}

// A name's lock key: FNV-1a, in the writer lock's "DAULAT" space.
int64_t LockKey(const std::string& name) {
  uint64_t h = 1469598103934665603ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>((0x44415554ULL << 32) | (h & 0xffffffffULL));
}

bool Granted(PostgresConnection& conn, const std::string& sql, Status& error) {
  std::vector<Row> rows;
  error = conn.Run(sql, {}, &rows);
  return error.ok() && !rows.empty() && rows[0].Int(0) == 1;
}

// Sessions of other daulat processes on this database (each names itself
// "daulat/<pid>@<host>"). A process holding a lock shared whose lock
// connection died (a restart, a network cut) still shows here through its
// other connections, so "alone" is decided by both.
bool OthersConnected(PostgresConnection& conn, const std::string& self, Status& error) {
  std::vector<Row> rows;
  error = conn.Run(
      "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND "
      "application_name LIKE 'daulat/%' AND application_name <> ?",
      {self}, &rows);
  return !error.ok() || rows.empty() || rows[0].Int(0) > 0;
}

// On a session of its own, outside the pool: advisory locks belong to the
// session that took them.
class PostgresSessionLock : public SessionLock {
 public:
  PostgresSessionLock(std::unique_ptr<PostgresConnection> conn, int64_t key, std::string self)
      : conn_(std::move(conn)), key_(std::to_string(key)), self_(std::move(self)) {}
  Result<bool> TryAlone() override {
    Status error;
    if (!Granted(*conn_, "SELECT pg_try_advisory_lock(" + key_ + ")", error)) {
      if (!error.ok()) return error;
      return false;
    }
    if (OthersConnected(*conn_, self_, error)) {
      (void)EndAlone();
      if (!error.ok()) return error;
      return false;
    }
    return true;
  }
  Status EndAlone() override {
    Status error;
    Granted(*conn_, "SELECT pg_advisory_unlock(" + key_ + ")", error);
    return error;
  }
  Status StillHeld() override {
    if (conn_->AliveWhenIdle()) return Status::Ok();
    return Unavailable("the connection holding a cluster lock was lost");
  }

 private:
  std::unique_ptr<PostgresConnection> conn_;
  std::string key_;
  std::string self_;
};

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
    if (conn_->Lost()) return Unavailable("the connection to PostgreSQL was lost; not committed");
    if (conn_->InFailedTransaction())
      return FailedPrecondition("the transaction was rolled back: one of its statements failed");
    if (!conn_->InTransaction())
      return FailedPrecondition("one of the transaction's own statements ended it");
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
      : url_(std::move(url)), options_(options), application_name_(ProcessName()) {}

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<std::unique_ptr<SessionLock>> TryLock(const std::string& name, LockMode mode) override {
    auto conn = PostgresConnection::Open(url_, application_name_);
    if (!conn.ok()) return conn.status();
    const int64_t key = LockKey(name);
    const std::string k = std::to_string(key);
    Status error;
    if (mode == LockMode::kShared) {
      // Waits (up to lock_timeout) while another process holds it alone for
      // a moment, as a server starting beside this one does.
      std::vector<Row> rows;
      error = (*conn)->Run("SELECT pg_advisory_lock_shared(" + k + ")", {}, &rows);
      if (error.code() == StatusCode::kUnavailable && !(*conn)->Lost()) {
        return FailedPrecondition("a process on a node sharing the database holds '" + name +
                                  "' alone (a repair?)");
      }
      if (!error.ok()) return error;
    } else {
      const bool granted = Granted(**conn, "SELECT pg_try_advisory_lock(" + k + ")", error);
      if (!error.ok()) return error;
      const bool others = granted && OthersConnected(**conn, application_name_, error);
      if (!error.ok()) return error;
      if (!granted || others) {
        return FailedPrecondition(
            "other daulat processes use the database (on this or other "
            "nodes); '" +
            name + "' cannot be held alone");
      }
    }
    return std::unique_ptr<SessionLock>(
        new PostgresSessionLock(std::move(conn).value(), key, application_name_));
  }

  std::string MigrationSql(const Migration& m) const override {
    return m.postgres_sql.empty() ? internal::PostgresSchema(m.sql) : m.postgres_sql;
  }

  // A connection of the pool's: an idle one, a new one while fewer than
  // max_connections are open, or the first one given back within the wait.
  // `reused`: the connection was idle in the pool (its server may have gone
  // since; the first statement on it finds out).
  Result<std::unique_ptr<PostgresConnection>> Take(bool* reused = nullptr) {
    if (reused != nullptr) *reused = false;
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
      if (reused != nullptr) *reused = true;
      return c;
    }
    ++open_;
    lock.unlock();
    auto c = PostgresConnection::Open(url_, application_name_);
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
  // Runs `first` on a live connection. A pooled connection whose server
  // ended the session while it sat idle (a restart, a failover) says so
  // before anything is sent on it: then every idle connection is dropped
  // (they went with the same server) and a new one is opened. A statement
  // is never sent twice: one that failed in flight is the caller's error.
  Result<std::unique_ptr<PostgresConnection>> RunFirst(const std::string& first,
                                                       const std::vector<Value>& params,
                                                       std::vector<Row>* rows, Status& status) {
    for (;;) {
      bool reused = false;
      auto conn = Take(&reused);
      if (!conn.ok()) return conn.status();
      if (reused && !(*conn)->AliveWhenIdle()) {
        Give(std::move(conn).value());
        DropIdle();
        continue;
      }
      status = (*conn)->Run(first, params, rows);
      return conn;
    }
  }

  void DropIdle() {
    std::vector<std::unique_ptr<PostgresConnection>> gone;
    std::lock_guard lock(mu_);
    gone.swap(idle_);
    open_ -= static_cast<int>(gone.size());
    freed_.notify_all();
  }

  Result<std::unique_ptr<Transaction>> Start(const std::string& begin, bool read_only) {
    Status st;
    auto conn = RunFirst(begin, {}, nullptr, st);
    if (!conn.ok()) return conn.status();
    if (!st.ok()) {
      (void)(*conn)->Run("ROLLBACK", {}, nullptr);
      Give(std::move(conn).value());
      return st;
    }
    return std::unique_ptr<Transaction>(
        new PostgresTransaction(*this, std::move(conn).value(), read_only));
  }

  Result<std::vector<Row>> Autocommit(const std::string& sql, const std::vector<Value>& params,
                                      bool want_rows) {
    std::vector<Row> rows;
    Status st;
    auto conn = RunFirst(sql, params, want_rows ? &rows : nullptr, st);
    if (!conn.ok()) return conn.status();
    Give(std::move(conn).value());
    if (!st.ok()) return st;
    return rows;
  }

  std::string url_;
  PostgresOptions options_;
  std::string application_name_;  // "daulat/<pid>@<host>"
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
      "datcollate, datctype, COALESCE(to_jsonb(d) ->> 'datlocprovider', 'c') FROM pg_database d "
      "WHERE datname = current_database()");
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
  // LOWER() must fold ASCII letters only (ACL group names), as SQLite's does.
  const auto plain = [](const std::string& s) { return s == "C" || s == "POSIX"; };
  if (!plain(r.Text(2)) || !plain(r.Text(3)) || r.Text(4) != "c")
    return FailedPrecondition("the database's collation is " + r.Text(2) + " (ctype " + r.Text(3) +
                              ")"

                              ": daulat needs C (CREATE DATABASE ... TEMPLATE template0 "
                              "LC_COLLATE 'C' LC_CTYPE 'C')");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, PostgresOptions options) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  if (parsed == nullptr) {
    // libpq's reason quotes the URL, password included: it is not repeated.
    PQfreemem(error);
    return InvalidArgument(
        "not a PostgreSQL connection URL (postgresql://user@host:port/dbname?option=value, "
        "with reserved characters %-encoded)");
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
  // A mistyped scheme must not quietly make a new SQLite file.
  if (location.find("://") != std::string::npos)
    return InvalidArgument("'" + location.substr(0, location.find("://") + 3) +
                           "' is not a database: give postgresql://... or a SQLite file path");
  return OpenSqlite(location);
}

}  // namespace daulat::store
