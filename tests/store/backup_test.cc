#include "store/backup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/blob_store.h"
#include "store/database.h"
#include "tiny_model.h"

namespace daulat::store {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool IsEmptyOrMissing(const fs::path& p) {
  return !fs::exists(p) || fs::is_empty(p);
}

void WriteAll(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// A data folder as the server leaves it: the database (WAL), document blobs
// sealed under the folder's master key, a vector index, the audit keys and
// an installed model.
class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("backup");
    data_ = root_ / "data";
    fs::create_directories(data_);
    auto db = OpenSqlite((data_ / "daulat.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").ok());
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(
          db_->Execute("INSERT INTO notes (body) VALUES (?)", {"nota " + std::to_string(i)}).ok());
    auto blobs = BlobStore::Open(data_ / "blobs");
    ASSERT_TRUE(blobs.ok());
    ASSERT_TRUE((*blobs)->Put("jabatan", "doc1", std::string(200000, 'x') + "akhir").ok());
    WriteAll(data_ / "vectors" / "hnsw_abc", std::string(1000, '\3'));
    WriteAll(data_ / "audit" / "signing.seed", std::string(32, '\7'));
    WriteAll(data_ / "audit" / "verifier.key", "ed25519-key");
    WriteAll(data_ / "models" / "big" / "model.gguf", "GGUF model bytes");
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(root_);
  }

  int64_t Notes(const fs::path& dir) {
    auto db = OpenSqlite((dir / "daulat.db").string());
    EXPECT_TRUE(db.ok());
    auto rows = (*db)->Query("SELECT COUNT(*) FROM notes");
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? (*rows)[0].Int(0) : -1;
  }

  BackupOptions Options(BackupSecret secret = {}) {
    BackupOptions o;
    o.skip = {"models"};
    o.secret = std::move(secret);
    return o;
  }

  fs::path root_, data_;
  std::unique_ptr<Database> db_;
};

TEST_F(BackupTest, RestoresTheDatabaseBlobsIndexesAndKeysButNotTheModels) {
  auto m = BackUp(data_, root_ / "copy", Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->sealed);
  EXPECT_EQ(m->files.front().path, "daulat.db");
  auto restored = Restore(root_ / "copy", root_ / "restored", {});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(Notes(root_ / "restored"), 50);
  // The blob still opens: the master key came along with it.
  auto blobs = BlobStore::Open(root_ / "restored" / "blobs");
  ASSERT_TRUE(blobs.ok());
  auto doc = (*blobs)->Get("jabatan", "doc1");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->size(), 200005u);
  EXPECT_EQ(ReadAll(root_ / "restored" / "vectors" / "hnsw_abc"), std::string(1000, '\3'));
  EXPECT_EQ(ReadAll(root_ / "restored" / "audit" / "signing.seed"), std::string(32, '\7'));
  EXPECT_FALSE(fs::exists(root_ / "restored" / "models"));
  for (const auto& entry : fs::directory_iterator(root_))  // no staging folder left beside it
    EXPECT_EQ(entry.path().filename().string().find(".restoring"), std::string::npos);
  EXPECT_TRUE(VerifyBackup(root_ / "copy", {}).ok());
}

TEST_F(BackupTest, ACopyTakenWhileWritesGoOnIsOneConsistentMoment) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Two rows per transaction: a consistent copy holds an even number of new rows.
    while (!stop) {
      auto tx = db_->Begin();
      ASSERT_TRUE(tx.ok());
      ASSERT_TRUE((*tx)->Execute("INSERT INTO notes (body) VALUES ('a')").ok());
      ASSERT_TRUE((*tx)->Execute("INSERT INTO notes (body) VALUES ('b')").ok());
      ASSERT_TRUE((*tx)->Commit().ok());
    }
  });
  std::vector<int64_t> counts;
  for (int i = 0; i < 3; ++i) {
    const auto dest = root_ / ("copy" + std::to_string(i));
    auto m = BackUp(data_, dest, Options());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE(Restore(dest, root_ / ("r" + std::to_string(i)), {}).ok());
    counts.push_back(Notes(root_ / ("r" + std::to_string(i))));
  }
  stop = true;
  writer.join();
  for (const auto n : counts) {
    EXPECT_GE(n, 50);
    EXPECT_EQ((n - 50) % 2, 0) << n;
  }
}

// A document replaced while the backup runs loses its old original, which
// the snapshot still names: the copy is taken again, and never written
// without a file its database names.
TEST_F(BackupTest, AFileTheSnapshotNamesMustBeInTheCopy) {
  int asked = 0;
  auto options = Options();
  options.referenced = [&asked](const fs::path& snapshot) -> Result<std::vector<std::string>> {
    EXPECT_TRUE(fs::exists(snapshot));
    ++asked;
    if (asked < 2) return std::vector<std::string>{"blobs/gone-meanwhile"};
    return std::vector<std::string>{};
  };
  auto m = BackUp(data_, root_ / "copy", options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(asked, 2);  // the first copy was dropped and the backup taken again
  EXPECT_TRUE(VerifyBackup(root_ / "copy", {}).ok());

  options.referenced = [](const fs::path&) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"blobs/gone-meanwhile"};
  };
  auto refused = BackUp(data_, root_ / "never", options);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("three times"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "never"));
  for (const auto& entry : fs::directory_iterator(data_))  // no snapshot left behind
    EXPECT_EQ(entry.path().filename().string().find("snapshot"), std::string::npos) << entry.path();
}

TEST_F(BackupTest, ASealedCopyNeedsTheRightSecretAndHidesItsFileNames) {
  BackupSecret secret;
  secret.passphrase = "kata laluan sandaran yang panjang";
  auto m = BackUp(data_, root_ / "sealed", Options(secret));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->sealed);
  const std::string manifest = ReadAll(root_ / "sealed" / "manifest.json");
  EXPECT_EQ(manifest.find("signing.seed"), std::string::npos) << manifest;
  EXPECT_EQ(ReadAll(root_ / "sealed" / "data" / m->files[0].stored).find("nota 7"),
            std::string::npos);
  for (const auto& f : m->files) EXPECT_EQ(f.stored.find('/'), std::string::npos) << f.stored;
  EXPECT_FALSE(fs::exists(root_ / "sealed" / "data" / "audit"));

  EXPECT_EQ(Restore(root_ / "sealed", root_ / "r1", {}).status().code(),
            StatusCode::kPermissionDenied);
  BackupSecret wrong;
  wrong.passphrase = "bukan kata laluan yang betul";
  EXPECT_EQ(Restore(root_ / "sealed", root_ / "r2", wrong).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(IsEmptyOrMissing(root_ / "r2"));
  auto restored = Restore(root_ / "sealed", root_ / "r3", secret);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(Notes(root_ / "r3"), 50);

  BackupSecret key;
  key.key = std::string(32, '\x42');
  ASSERT_TRUE(BackUp(data_, root_ / "keyed", Options(key)).ok());
  EXPECT_EQ(Restore(root_ / "keyed", root_ / "r4", secret).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(Restore(root_ / "keyed", root_ / "r5", key).ok());
}

// An attacker with write access to the backup medium alters, truncates or
// swaps files: every change is caught before anything is restored.
TEST_F(BackupTest, AlteredTruncatedOrSwappedFilesAreRefused) {
  for (const bool sealed : {false, true}) {
    BackupSecret secret;
    if (sealed) secret.key = std::string(32, '\x11');
    const fs::path copy = root_ / (sealed ? "sealed" : "plain");
    auto m = BackUp(data_, copy, Options(secret));
    ASSERT_TRUE(m.ok());
    const auto stored = [&](const std::string& path) {
      for (const auto& f : m->files)
        if (f.path == path) return copy / "data" / f.stored;
      ADD_FAILURE() << path;
      return fs::path();
    };
    const fs::path seed = stored("audit/signing.seed");
    const fs::path verifier = stored("audit/verifier.key");
    const std::string original = ReadAll(seed);

    std::string flipped = original;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 1);
    WriteAll(seed, flipped);
    EXPECT_EQ(VerifyBackup(copy, secret).status().code(), StatusCode::kDataLoss) << sealed;
    WriteAll(seed, original.substr(0, original.size() - 3));
    EXPECT_EQ(VerifyBackup(copy, secret).status().code(), StatusCode::kDataLoss) << sealed;
    const std::string other = ReadAll(verifier);
    WriteAll(seed, other);
    EXPECT_EQ(VerifyBackup(copy, secret).status().code(), StatusCode::kDataLoss) << sealed;
    fs::remove(seed);
    EXPECT_EQ(VerifyBackup(copy, secret).status().code(), StatusCode::kDataLoss) << sealed;
    EXPECT_EQ(Restore(copy, root_ / "never", secret).status().code(), StatusCode::kDataLoss);
    EXPECT_TRUE(IsEmptyOrMissing(root_ / "never" / "audit"));
    WriteAll(seed, original);
    EXPECT_TRUE(VerifyBackup(copy, secret).ok()) << sealed;
  }
}

// A hostile manifest cannot make a restore write outside the data folder.
TEST_F(BackupTest, AManifestNamingPathsOutsideTheFolderIsRefused) {
  ASSERT_TRUE(BackUp(data_, root_ / "copy", Options()).ok());
  auto manifest = nlohmann::json::parse(ReadAll(root_ / "copy" / "manifest.json"));
  for (const char* bad : {"../escape", "/etc/passwd", "a/../../b", "a//b", "./x"}) {
    auto m = manifest;
    m["contents"]["files"].push_back(
        {{"path", bad}, {"size", 1}, {"sha256", "00"}, {"stored", "x"}});
    auto stored = manifest;
    stored["contents"]["files"].push_back(
        {{"path", "x"}, {"size", 1}, {"sha256", "00"}, {"stored", bad}});
    WriteAll(root_ / "copy" / "manifest.json", stored.dump());
    EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kInvalidArgument)
        << bad;
    WriteAll(root_ / "copy" / "manifest.json", m.dump());
    EXPECT_EQ(Restore(root_ / "copy", root_ / "r", {}).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(fs::exists(root_ / "escape"));
  auto greedy = manifest;
  greedy["sealed"] = true;
  greedy["kdf"] = {{"alg", "argon2id13"},
                   {"salt", "AAAAAAAAAAAAAAAAAAAAAA=="},
                   {"opslimit", 3},
                   {"memlimit", uint64_t{1} << 40}};
  WriteAll(root_ / "copy" / "manifest.json", greedy.dump());
  BackupSecret secret;
  secret.passphrase = "kata laluan sandaran yang panjang";
  EXPECT_EQ(Restore(root_ / "copy", root_ / "r", secret).status().code(),
            StatusCode::kInvalidArgument);
  WriteAll(root_ / "copy" / "manifest.json", "{not json");
  EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyBackup(root_ / "nowhere", {}).status().code(), StatusCode::kNotFound);
}

TEST_F(BackupTest, NeitherOverwritesAFolderInUse) {
  WriteAll(root_ / "busy" / "x", "keep me");
  EXPECT_EQ(BackUp(data_, root_ / "busy", Options()).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadAll(root_ / "busy" / "x"), "keep me");
  ASSERT_TRUE(BackUp(data_, root_ / "copy", Options()).ok());
  EXPECT_EQ(Restore(root_ / "copy", data_, {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Notes(data_), 50);
  // A copy made inside the data folder leaves itself out.
  auto inside = BackUp(data_, data_ / "backups" / "today", Options());
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  for (const auto& f : inside->files) EXPECT_EQ(f.path.rfind("backups", 0), std::string::npos);
}

// A link out of the data folder is not followed: a skipped one (models kept
// on another disk) is left out, any other stops the backup.
TEST_F(BackupTest, SymbolicLinksAreNotFollowed) {
  fs::remove_all(data_ / "models");
  fs::create_directories(root_ / "elsewhere" / "models");
  fs::create_symlink(root_ / "elsewhere" / "models", data_ / "models");
  auto m = BackUp(data_, root_ / "copy", Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  fs::create_symlink("/etc/passwd", data_ / "blobs" / "stolen");
  auto refused = BackUp(data_, root_ / "copy2", Options());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("blobs/stolen"), std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(fs::exists(root_ / "copy2"));
}

// Someone who can write to the backup medium puts an unsealed backup (their
// own database, keys and audit log) where a sealed one was: the operator
// restores with the key and must be refused, not handed the attacker's data.
TEST_F(BackupTest, AnUnsealedBackupInPlaceOfASealedOneIsRefused) {
  BackupSecret key;
  key.key = std::string(32, '\x21');
  ASSERT_TRUE(BackUp(data_, root_ / "sealed", Options(key)).ok());
  ASSERT_TRUE(BackUp(data_, root_ / "forged", Options()).ok());
  fs::remove_all(root_ / "sealed");
  fs::rename(root_ / "forged", root_ / "sealed");
  EXPECT_EQ(Restore(root_ / "sealed", root_ / "r", key).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyBackup(root_ / "sealed", key).status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(root_ / "r"));
}

// A backup medium's links and special files are not followed or read: a
// restore cannot be sent to copy /dev/zero forever, hang on a FIFO, or read
// a file outside the backup.
TEST_F(BackupTest, LinksAndSpecialFilesInABackupAreRefused) {
  auto m = BackUp(data_, root_ / "copy", Options());
  ASSERT_TRUE(m.ok());
  const fs::path seed = root_ / "copy" / "data" / "audit" / "signing.seed";
  const std::string original = ReadAll(seed);
  fs::remove(seed);
  fs::create_symlink("/dev/zero", seed);
  EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kDataLoss);
  fs::remove(seed);
  ASSERT_EQ(::mkfifo(seed.c_str(), 0600), 0);
  EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kDataLoss);
  fs::remove(seed);
  WriteAll(seed, original + std::string(100000, 'x'));  // longer than the manifest says
  EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kDataLoss);
  WriteAll(seed, original);
  fs::rename(root_ / "copy" / "data" / "audit", root_ / "elsewhere");
  fs::create_directory_symlink(root_ / "elsewhere", root_ / "copy" / "data" / "audit");
  EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kDataLoss);
  fs::remove(root_ / "copy" / "data" / "audit");
  fs::rename(root_ / "elsewhere", root_ / "copy" / "data" / "audit");
  EXPECT_TRUE(VerifyBackup(root_ / "copy", {}).ok());
}

// Fields of the wrong type, deep nesting and reserved names are refused
// with INVALID_ARGUMENT, never an exception.
TEST_F(BackupTest, AMalformedManifestIsRefusedWithoutACrash) {
  ASSERT_TRUE(BackUp(data_, root_ / "copy", Options()).ok());
  const auto manifest = nlohmann::json::parse(ReadAll(root_ / "copy" / "manifest.json"));
  std::vector<nlohmann::json> bad(6, manifest);
  bad[0]["sealed"] = 1;
  bad[1]["format"] = 5;
  bad[2]["contents"]["files"][0]["stored"] = 7;
  bad[3]["contents"]["files"][0]["size"] = "big";
  bad[4]["contents"]["files"].push_back(
      {{"path", ".restoring/x"}, {"size", 1}, {"sha256", "00"}, {"stored", "y"}});
  bad[5]["contents"]["database"] = "other.db";
  for (size_t i = 0; i < bad.size(); ++i) {
    WriteAll(root_ / "copy" / "manifest.json", bad[i].dump());
    const auto code = Restore(root_ / "copy", root_ / "r", {}).status().code();
    EXPECT_TRUE(code == StatusCode::kInvalidArgument || code == StatusCode::kDataLoss) << i;
    EXPECT_FALSE(fs::exists(root_ / "r")) << i;
  }
  WriteAll(root_ / "copy" / "manifest.json",
           R"({"format":"daulat-backup-1","contents":)" + std::string(100000, '[') + "}");
  EXPECT_EQ(VerifyBackup(root_ / "copy", {}).status().code(), StatusCode::kInvalidArgument);
}

// The caller's check (the audit log's verification) runs on the staged copy:
// when it fails, the data folder is left as it was and no staging remains.
TEST_F(BackupTest, ARestoreThatFailsItsCheckLeavesNothing) {
  ASSERT_TRUE(BackUp(data_, root_ / "copy", Options()).ok());
  RestoreOptions options;
  options.check = [](const fs::path& staged) {
    EXPECT_TRUE(fs::exists(staged / "daulat.db"));
    return DataLoss("the audit log does not verify");
  };
  fs::create_directories(root_ / "target");
  EXPECT_EQ(Restore(root_ / "copy", root_ / "target", {}, options).status().code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(IsEmptyOrMissing(root_ / "target"));
  for (const auto& entry : fs::directory_iterator(root_))
    EXPECT_EQ(entry.path().filename().string().find(".restoring"), std::string::npos);
}

// Two sealed backups under one key share nothing an observer could match:
// not their key check, not their files' names.
TEST_F(BackupTest, SealedBackupsUnderOneKeyCannotBeLinked) {
  BackupSecret key;
  key.key = std::string(32, '\x33');
  auto a = BackUp(data_, root_ / "a", Options(key));
  auto b = BackUp(data_, root_ / "b", Options(key));
  ASSERT_TRUE(a.ok() && b.ok());
  const auto ma = nlohmann::json::parse(ReadAll(root_ / "a" / "manifest.json"));
  const auto mb = nlohmann::json::parse(ReadAll(root_ / "b" / "manifest.json"));
  EXPECT_NE(ma["key_check"], mb["key_check"]);
  EXPECT_NE(ma["id"], mb["id"]);
  EXPECT_NE(a->files[0].stored, b->files[0].stored);
  // The header's time is not trusted: the sealed one is reported.
  auto doc = ma;
  doc["created_at"] = "2030-01-01T00:00:00Z";
  WriteAll(root_ / "a" / "manifest.json", doc.dump());
  auto verified = VerifyBackup(root_ / "a", key);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->created_at, a->created_at);
  doc = ma;
  doc["id"] = mb["id"];  // another backup's header
  WriteAll(root_ / "a" / "manifest.json", doc.dump());
  EXPECT_FALSE(VerifyBackup(root_ / "a", key).ok());
}

TEST(BackupKeyFileTest, RawOrHexAndNothingElse) {
  const auto dir = testing::MakeTempDir("backup-key");
  WriteAll(dir / "raw", std::string(32, '\1'));
  WriteAll(dir / "hex", std::string(64, 'a') + "\n");
  WriteAll(dir / "short", "abc");
  EXPECT_EQ(*ReadBackupKeyFile(dir / "raw"), std::string(32, '\1'));
  EXPECT_EQ(*ReadBackupKeyFile(dir / "hex"), std::string(32, '\xaa'));
  EXPECT_EQ(ReadBackupKeyFile(dir / "short").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadBackupKeyFile(dir / "none").status().code(), StatusCode::kNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace daulat::store
