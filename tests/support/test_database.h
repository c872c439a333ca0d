#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/database.h"

namespace daulat::testing {

// True when DAULAT_TEST_DATABASE_URL names a PostgreSQL server: the tests
// then keep their records there instead of in SQLite files (the "pg." run).
bool TestsUsePostgres();

// One test's database: a SQLite file in the test's folder, or a PostgreSQL
// database of its own on the test server, created here (UTF8, C collation)
// and dropped when this goes away.
class TestDatabase {
 public:
  explicit TestDatabase(const std::filesystem::path& dir, const std::string& file = "daulat.db");
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // A file path or a URL: what OpenDatabase and DAULAT_DATABASE_URL take.
  const std::string& location() const { return location_; }
  bool postgres() const { return postgres_; }
  // A new handle each call, as another process would open it.
  Result<std::unique_ptr<store::Database>> Open() const;

 private:
  std::string location_;
  std::string name_;  // the PostgreSQL database's name
  bool postgres_ = false;
};

// A handle on a new database of the test's own (as TestDatabase makes it)
// that drops the database when the handle goes. `location`, when given,
// receives where it is, for opening more handles as other processes would.
std::unique_ptr<store::Database> OpenTestDatabase(const std::filesystem::path& dir,
                                                  std::string* location = nullptr);

}  // namespace daulat::testing
