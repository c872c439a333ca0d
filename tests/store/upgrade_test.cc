// Upgrades: the previous release's database opens in this program, migrates
// and passes every check; a database from a newer release is refused; and no
// migration a release shipped is ever edited (docs/reliability.md).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "assessment/assessments.h"
#include "common/sha256.h"
#include "gateway/content_log.h"
#include "gateway/usage_meter.h"
#include "governance/audit_log.h"
#include "governance/policy.h"
#include "identity/identity_store.h"
#include "knowledge/conversations.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"
#include "store/blob_store.h"
#include "store/schema_history.h"
#include "subprocess.h"
#include "tiny_model.h"

namespace daulat::store {
namespace {

namespace fs = std::filesystem;

// Opens every store of the product on `db`, as `daulat serve` does, so each
// component's tables exist and KnownMigrations() holds its list. The audit
// log's only when asked: it would sign with a key of its own.
void OpenEveryStore(Database& db, BlobStore& blobs, bool audit) {
  EXPECT_TRUE(identity::IdentityStore::Open(db).ok());
  EXPECT_TRUE(governance::PolicyStore::Open(db).ok());
  if (audit) {
    EXPECT_TRUE(governance::AuditLog::Open(db, *governance::CheckpointSigner::FromSeed(
                                                   "daulat-audit", std::string(32, 'k')))
                    .ok());
  }
  EXPECT_TRUE(gateway::UsageMeter::Open(db).ok());
  EXPECT_TRUE(gateway::ContentLog::Open(db).ok());
  EXPECT_TRUE(assessment::Assessments::Open(db).ok());
  EXPECT_TRUE(knowledge::Library::Open(db, blobs).ok());
  EXPECT_TRUE(knowledge::IngestionJobs::Open(db).ok());
  EXPECT_TRUE(knowledge::Conversations::Open(db).ok());
}

std::map<std::string, std::vector<Migration>> ProductMigrations(const fs::path& dir) {
  auto db = std::move(OpenSqlite((dir / "scratch.db").string())).value();
  auto blobs = std::move(BlobStore::Open(dir / "scratch-blobs")).value();
  OpenEveryStore(*db, *blobs, true);
  auto known = KnownMigrations();
  known.erase("docs");  // DatabaseTest's own, when run in this process
  return known;
}

// SHA-256 (first 16 hex digits) of each shipped migration's SQL, recorded when
// its release was made. A migration that shipped must never change: a
// database that applied the old text would differ from one that applies the
// new. Change the schema with a new migration instead.
const std::map<std::pair<std::string, int>, std::string> kShipped = {
    {{"assessment", 1}, "4f8844b581378c2b"},
    {{"audit", 1}, "5b1bc5cc1f95c293"},
    {{"content_log", 1}, "4d38e550fe84a32d"},
    {{"identity", 1}, "ae288213610638c2"},
    {{"identity", 2}, "6dcd6824be7a2597"},
    {{"identity", 3}, "29d7009628e57ae8"},
    {{"knowledge", 1}, "fff041d2fb2433ee"},
    {{"knowledge", 2}, "66f9c6b376489b9b"},
    {{"knowledge_conversations", 1}, "67796b6f042d73f1"},
    {{"knowledge_jobs", 1}, "7443e02e9ba5c4e3"},
    {{"policy", 1}, "902511e44309ac5f"},
    {{"usage", 1}, "5082fdd3d13d8246"},
};

std::string Digest(const Migration& m) {
  return Sha256Hex(m.sql).substr(0, 16);
}

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("upgrade"); }
  void TearDown() override { fs::remove_all(dir_); }

  testing::ProcessResult Daulat(const std::vector<std::string>& args) {
    return testing::RunDaulat(args, {{"DAULAT_DATA_DIR", (dir_ / "data").string()}}, "", 300);
  }
  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  fs::path dir_;
};

TEST_F(UpgradeTest, ShippedMigrationsAreNeverEdited) {
  const auto known = ProductMigrations(dir_);
  const SchemaRelease& previous = SchemaReleases().back();
  for (const auto& [component, shipped] : previous.versions) {
    ASSERT_TRUE(known.count(component)) << component << " is no longer migrated";
    const auto& list = known.at(component);
    ASSERT_GE(static_cast<int>(list.size()), shipped) << component << " lost migrations";
    for (int v = 1; v <= shipped; ++v) {
      const auto digest = kShipped.find({component, v});
      ASSERT_NE(digest, kShipped.end())
          << component << " " << v << ": record its digest " << Digest(list[v - 1]);
      EXPECT_EQ(Digest(list[v - 1]), digest->second)
          << component << " migration " << v << " (" << list[v - 1].name << ") shipped in "
          << previous.version << " and was edited";
    }
  }
  for (const auto& [component, list] : known) {
    EXPECT_TRUE(previous.versions.count(component) || list.empty())
        << component << " is new since " << previous.version << ": fine, nothing to check";
  }
}

// Each migration since the previous release, undone on a database this
// program wrote, so that its data is what that release would have stored.
// A release adds the steps for its own migrations.
using Downgrade = std::function<void(Database&, BlobStore&)>;
const std::map<std::pair<std::string, int>, Downgrade>& DowngradeSteps() {
  static const std::map<std::pair<std::string, int>, Downgrade> steps = {
      {{"knowledge", 4},
       [](Database& db, BlobStore&) {
         ASSERT_TRUE(db.Execute("DROP INDEX kn_documents_by_time").ok());
         ASSERT_TRUE(db.Execute("DROP INDEX kn_documents_by_collection_time").ok());
       }},
      // Before "a blob per document version" a document's original was
      // named by the document id.
      {{"knowledge", 3},
       [](Database& db, BlobStore& blobs) {
         auto rows = db.Query("SELECT tenant_id, document_id, blob_id FROM kn_documents");
         ASSERT_TRUE(rows.ok());
         for (const auto& r : *rows) {
           auto bytes = blobs.Get(r.Text(0), r.Text(2));
           ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
           ASSERT_TRUE(blobs.Put(r.Text(0), r.Text(1), *bytes).ok());
           ASSERT_TRUE(blobs.Delete(r.Text(0), r.Text(2)).ok());
         }
         ASSERT_TRUE(db.Execute("ALTER TABLE kn_documents DROP COLUMN blob_id").ok());
       }},
  };
  return steps;
}

// Tables, columns and indexes, the way the program queries them (FTS index
// tables are made per tenant at run time, not by migrations).
std::set<std::string> SchemaOf(Database& db) {
  std::set<std::string> out;
  auto objects = db.Query(
      "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND "
      "name NOT LIKE 'kn_index_%'");
  EXPECT_TRUE(objects.ok());
  for (const auto& o : *objects) {
    out.insert(o.Text(0) + " " + o.Text(1) + " on " + o.Text(2));
    if (o.Text(0) != "table") continue;
    auto columns =
        db.Query("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('" +
                 o.Text(1) + "')");
    EXPECT_TRUE(columns.ok());
    for (const auto& c : *columns) {
      out.insert(o.Text(1) + "." + c.Text(0) + " " + c.Text(1) + " notnull=" + c.Text(2) +
                 " default=" + c.Text(3) + " pk=" + c.Text(4));
    }
  }
  return out;
}

TEST_F(UpgradeTest, ThePreviousReleasesDatabaseOpensMigratesAndPassesEveryCheck) {
  const auto known = ProductMigrations(dir_);
  const SchemaRelease& previous = SchemaReleases().back();
  // 1. A data folder with every kind of record, written by this program.
  WriteFile("cuti.md", "# Cuti rehat\n\nPegawai layak 25 hari cuti rehat setahun.\n");
  WriteFile("elaun.md", "# Elaun\n\nElaun harian ialah RM 80.\n");
  ASSERT_EQ(Daulat({"collections", "create", "sop", "--name", "SOP"}).exit_code, 0);
  for (const char* f : {"cuti.md", "elaun.md"}) {
    const auto r = Daulat(
        {"ingest", "--collection", "sop", "--classification", "TERBUKA", (dir_ / f).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ASSERT_EQ(Daulat({"tenants", "create", "jpn", "--name", "JPN"}).exit_code, 0);
  const auto key = Daulat({"keys", "create", "--tenant", "jpn", "--name", "sistem-hr", "--json"});
  ASSERT_EQ(key.exit_code, 0) << key.err;

  // 2. Back to the previous release's schema and data, step by step.
  {
    auto db = std::move(OpenSqlite((dir_ / "data" / "daulat.db").string())).value();
    auto blobs = std::move(BlobStore::Open(dir_ / "data" / "blobs")).value();
    OpenEveryStore(*db, *blobs, false);  // the tables only the server makes
    for (const auto& [component, list] : known) {
      const auto shipped = previous.versions.find(component);
      const int keep = shipped == previous.versions.end() ? 0 : shipped->second;
      for (int v = static_cast<int>(list.size()); v > keep; --v) {
        const auto step = DowngradeSteps().find({component, v});
        ASSERT_NE(step, DowngradeSteps().end())
            << component << " migration " << v << " is new since " << previous.version
            << ": add its downgrade step to this test";
        step->second(*db, *blobs);
        ASSERT_TRUE(db->Execute("DELETE FROM schema_migrations WHERE component = ? AND version = ?",
                                {component, int64_t{v}})
                        .ok());
      }
    }
    // The fixture's schema is exactly what the release's migrations make.
    auto fresh = std::move(OpenSqlite((dir_ / "release.db").string())).value();
    for (const auto& [component, shipped] : previous.versions) {
      const auto& list = known.at(component);
      ASSERT_TRUE(
          fresh->Migrate(component, std::vector<Migration>(list.begin(), list.begin() + shipped))
              .ok());
    }
    EXPECT_EQ(SchemaOf(*db), SchemaOf(*fresh));
  }

  // 3. This program opens it: the schema moves on, and every check passes.
  const auto doctor = Daulat({"doctor", "--verify-originals", "--json"});
  ASSERT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  const auto report = nlohmann::json::parse(doctor.out);
  EXPECT_EQ(report["library"]["documents"], 2);
  EXPECT_TRUE(report["audit"]["ok"].get<bool>());
  const auto found = Daulat({"search", "berapa hari cuti rehat", "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find("cuti.md"), std::string::npos) << found.out;
  const auto keys = Daulat({"keys", "list", "--tenant", "jpn", "--json"});
  EXPECT_NE(keys.out.find("sistem-hr"), std::string::npos) << keys.out;
  // A document from before the upgrade takes a new version; its old,
  // id-named original goes, and the library is still whole.
  WriteFile("cuti.md", "# Cuti rehat\n\nPegawai layak 30 hari cuti rehat setahun.\n");
  ASSERT_EQ(Daulat({"ingest", "--collection", "sop", "--classification", "TERBUKA",
                    (dir_ / "cuti.md").string()})
                .exit_code,
            0);
  const auto after = Daulat({"doctor", "--verify-originals", "--json"});
  EXPECT_EQ(after.exit_code, 0) << after.out;
  {
    auto db = std::move(OpenSqlite((dir_ / "data" / "daulat.db").string())).value();
    for (const auto& [component, list] : known) {
      EXPECT_EQ(*db->SchemaVersion(component), static_cast<int>(list.size())) << component;
    }
  }
}

TEST_F(UpgradeTest, ADatabaseFromANewerReleaseIsRefusedSayingSo) {
  ASSERT_EQ(Daulat({"collections", "create", "sop", "--name", "SOP"}).exit_code, 0);
  {
    auto db = std::move(OpenSqlite((dir_ / "data" / "daulat.db").string())).value();
    ASSERT_TRUE(db->Execute("INSERT INTO schema_migrations (component, version, name, applied_at) "
                            "VALUES ('knowledge', 99, 'from a later release', "
                            "'2027-01-01T00:00:00Z')")
                    .ok());
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"documents", "list"}, {"doctor"}}) {
    const auto r = Daulat(args);
    EXPECT_EQ(r.exit_code, 6) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("newer than this program knows"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("upgrade daulat"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace daulat::store
