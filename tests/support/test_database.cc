#include "test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace daulat::testing {
namespace {

std::string ServerUrl() {
  const char* url = std::getenv("DAULAT_TEST_DATABASE_URL");
  return url != nullptr ? url : "";
}

// The server URL with its database name replaced by `name`.
std::string UrlOfDatabase(const std::string& server, const std::string& name) {
  const size_t authority = server.find("://");
  const size_t path = server.find('/', authority + 3);
  const size_t query = server.find('?', authority + 3);
  const std::string base = server.substr(0, std::min(path, query));
  const std::string options = query == std::string::npos ? "" : server.substr(query);
  return base + "/" + name + options;
}

void OnServer(const std::string& sql) {
  auto admin = store::OpenPostgres(ServerUrl(), {.max_connections = 1});
  if (!admin.ok()) throw std::runtime_error("test database server: " + admin.status().ToString());
  if (Status st = (*admin)->Execute(sql); !st.ok())
    throw std::runtime_error(sql + ": " + st.ToString());
}

}  // namespace

bool TestsUsePostgres() {
  return !ServerUrl().empty();
}

TestDatabase::TestDatabase(const std::filesystem::path& dir, const std::string& file) {
  if (!TestsUsePostgres()) {
    location_ = (dir / file).string();
    return;
  }
  static std::atomic<int> counter{0};
  postgres_ = true;
  name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  OnServer("CREATE DATABASE " + name_ +
           " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' STRATEGY FILE_COPY");
  location_ = UrlOfDatabase(ServerUrl(), name_);
}

TestDatabase::~TestDatabase() {
  if (!postgres_) return;
  try {
    OnServer("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {  // the server is wiped when the run ends
  }
}

Result<std::unique_ptr<store::Database>> TestDatabase::Open() const {
  return store::OpenDatabase(location_);
}

namespace {

// Forwards to the real handle, and outlives it only to drop its database.
class OwningDatabase : public store::Database {
 public:
  OwningDatabase(std::unique_ptr<TestDatabase> where, std::unique_ptr<store::Database> db)
      : where_(std::move(where)), db_(std::move(db)) {}
  ~OwningDatabase() override {
    db_.reset();
    where_.reset();
  }
  OwningDatabase(const OwningDatabase&) = delete;
  OwningDatabase& operator=(const OwningDatabase&) = delete;

  store::Dialect dialect() const override { return db_->dialect(); }
  Status Execute(const std::string& sql, const std::vector<store::Value>& params) override {
    return db_->Execute(sql, params);
  }
  Result<std::vector<store::Row>> Query(const std::string& sql,
                                        const std::vector<store::Value>& params) override {
    return db_->Query(sql, params);
  }
  Result<std::vector<std::string>> Columns(const std::string& table) override {
    return db_->Columns(table);
  }
  Result<std::unique_ptr<store::Transaction>> Begin() override { return db_->Begin(); }
  Result<std::unique_ptr<store::Transaction>> BeginSnapshot() override {
    return db_->BeginSnapshot();
  }
  Result<std::unique_ptr<store::SessionLock>> TryLock(const std::string& name,
                                                      store::LockMode mode) override {
    return db_->TryLock(name, mode);
  }
  std::string MigrationSql(const store::Migration& m) const override {
    return db_->MigrationSql(m);
  }

 private:
  std::unique_ptr<TestDatabase> where_;
  std::unique_ptr<store::Database> db_;
};

}  // namespace

std::unique_ptr<store::Database> OpenTestDatabase(const std::filesystem::path& dir,
                                                  std::string* location) {
  auto where = std::make_unique<TestDatabase>(dir);
  auto db = where->Open();
  if (!db.ok())
    throw std::runtime_error("cannot open the test database: " + db.status().ToString());
  if (location != nullptr) *location = where->location();
  return std::make_unique<OwningDatabase>(std::move(where), std::move(db).value());
}

}  // namespace daulat::testing
