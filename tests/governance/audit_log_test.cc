#include "governance/audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/sha256.h"
#include "governance/audit_writer.h"
#include "governance/query_fingerprint.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::governance {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("audit");
    db_ = testing::OpenTestDatabase(dir_, &location_);
    auto signer = CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x2a'));
    key_ = signer->VerifierKey();
    auto log = AuditLog::Open(*db_, *signer);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
  }
  void TearDown() override {
    log_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void AppendMany(int n) {
    for (int i = 0; i < n; ++i) {
      AuditRecord r;
      r.tenant_id = i % 2 == 0 ? "jpn" : "kkm";
      r.actor = "key:" + std::to_string(i % 3);
      r.action = "inference";
      r.model = "gemma3-270m";
      r.classification = "TERHAD";
      r.decision = "allow";
      r.reason = "clearance TERHAD covers TERHAD";
      r.pii_counts = {{"MYKAD", i % 2}};
      r.content_hash = std::string(64, 'a');
      auto seq = log_->Append(r);
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      ASSERT_EQ(*seq, log_->size() - 1);
    }
  }
  AuditVerification Verify() { return AuditLog::Verify(*db_, key_); }

  std::filesystem::path dir_;
  std::string location_;  // of the database, for a second handle
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AuditLog> log_;
  std::string key_;
};

TEST_F(AuditLogTest, AppendsCheckpointsAndVerifies) {
  AppendMany(20);
  const auto note = log_->Checkpoint();
  ASSERT_TRUE(note.ok());
  auto cp = VerifyCheckpoint(*note, key_);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->size, 20u);
  AppendMany(5);
  ASSERT_TRUE(log_->Checkpoint().ok());
  const auto v = Verify();
  EXPECT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_EQ(v.records, 25u);
  EXPECT_EQ(v.checkpoints, 2u);
  // Inclusion of record 7 in the first checkpoint.
  auto rows = db_->Query("SELECT record FROM audit_records WHERE seq = 7");
  auto proof = log_->InclusionProof(7, 20);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(VerifyInclusion(LeafHash((*rows)[0].Text(0)), 7, 20, *proof, cp->root));
}

// A batch larger than one INSERT statement (100 records) keeps one
// sequence and one tree.
TEST_F(AuditLogTest, ALargeBatchIsNumberedInOrder) {
  AppendMany(3);
  std::vector<AuditRecord> batch(250);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].tenant_id = "jpn";
    batch[i].actor = "key:batch" + std::to_string(i);
    batch[i].action = "inference";
    batch[i].decision = "allow";
  }
  auto first = log_->AppendBatch(std::move(batch));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 3u);
  ASSERT_TRUE(log_->Checkpoint().ok());
  const auto v = Verify();
  EXPECT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_EQ(v.records, 253u);
  auto rows = db_->Query("SELECT seq, record FROM audit_records WHERE seq IN (102, 103, 252)");
  ASSERT_EQ(rows->size(), 3u);
  for (const auto& r : *rows) {
    EXPECT_NE(r.Text(1).find("key:batch" + std::to_string(r.Int(0) - 3) + "\""), std::string::npos)
        << r.Text(1);
  }
}

TEST_F(AuditLogTest, ReopeningContinuesTheSameTree) {
  AppendMany(3);
  ASSERT_TRUE(log_->Checkpoint().ok());
  log_.reset();
  auto again =
      AuditLog::Open(*db_, *CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x2a')));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), 3u);
  log_ = std::move(again).value();
  AppendMany(2);
  ASSERT_TRUE(log_->Checkpoint().ok());
  EXPECT_TRUE(Verify().status.ok());
}

TEST_F(AuditLogTest, RecordsHoldCanonicalJsonWithSequenceAndTime) {
  AppendMany(1);
  auto rows = db_->Query("SELECT record FROM audit_records");
  const std::string text = (*rows)[0].Text(0);
  EXPECT_EQ(text.rfind("{\"action\":\"inference\",\"actor\":\"key:0\"", 0), 0u) << text;
  EXPECT_NE(text.find("\"seq\":0"), std::string::npos);
  EXPECT_NE(text.find("\"time\":\"20"), std::string::npos);
}

TEST_F(AuditLogTest, AFlippedByteIsFound) {
  AppendMany(10);
  ASSERT_TRUE(log_->Checkpoint().ok());
  ASSERT_TRUE(
      db_->Execute(
             "UPDATE audit_records SET record = replace(record, 'allow', 'deny ') WHERE seq = 4")
          .ok());
  const auto v = Verify();
  EXPECT_EQ(v.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(v.status.message().find("record 4 was altered"), std::string::npos)
      << v.status.message();
}

TEST_F(AuditLogTest, AnAlteredRecordWithARecomputedLeafBreaksTheSignedRoot) {
  AppendMany(10);
  ASSERT_TRUE(log_->Checkpoint().ok());
  // A careful forger also rewrites the stored leaf hash: the signed root still catches it.
  auto rows = db_->Query("SELECT record FROM audit_records WHERE seq = 2");
  std::string forged = (*rows)[0].Text(0);
  forged.replace(forged.find("allow"), 5, "deny!");
  ASSERT_TRUE(db_->Execute("UPDATE audit_records SET record = ?, leaf_hash = ? WHERE seq = 2",
                           {forged, ToHex(LeafHash(forged))})
                  .ok());
  const auto v = Verify();
  EXPECT_EQ(v.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(v.status.message().find("history rewritten"), std::string::npos) << v.status.message();
}

TEST_F(AuditLogTest, ATruncatedTailIsFound) {
  AppendMany(10);
  ASSERT_TRUE(log_->Checkpoint().ok());
  ASSERT_TRUE(db_->Execute("DELETE FROM audit_records WHERE seq >= 8").ok());
  const auto v = Verify();
  EXPECT_EQ(v.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(v.status.message().find("truncated"), std::string::npos) << v.status.message();
}

TEST_F(AuditLogTest, ReorderedOrRemovedRecordsAreFound) {
  AppendMany(6);
  ASSERT_TRUE(log_->Checkpoint().ok());
  // Swap the contents of records 1 and 2 (leaf hashes travel with them).
  ASSERT_TRUE(db_->Execute("UPDATE audit_records SET seq = 100 WHERE seq = 1").ok());
  ASSERT_TRUE(db_->Execute("UPDATE audit_records SET seq = 1 WHERE seq = 2").ok());
  ASSERT_TRUE(db_->Execute("UPDATE audit_records SET seq = 2 WHERE seq = 100").ok());
  EXPECT_EQ(Verify().status.code(), StatusCode::kDataLoss);
  ASSERT_TRUE(db_->Execute("DELETE FROM audit_records WHERE seq = 1").ok());
  const auto v = Verify();
  EXPECT_NE(v.status.message().find("record 1 is missing"), std::string::npos)
      << v.status.message();
}

TEST_F(AuditLogTest, AForgedCheckpointOrForeignKeyIsRefused) {
  AppendMany(4);
  ASSERT_TRUE(log_->Checkpoint().ok());
  auto other = CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x01'));
  EXPECT_EQ(AuditLog::Verify(*db_, other->VerifierKey()).status.code(), StatusCode::kDataLoss);
  const std::string forged = other->Sign({"daulat/audit", 4, LeafHash("x")});
  ASSERT_TRUE(db_->Execute("UPDATE audit_checkpoints SET note = ?", {forged}).ok());
  EXPECT_EQ(Verify().status.code(), StatusCode::kDataLoss);
}

// One key may sign for several logs: a genuine checkpoint of another log
// (its origin line names that log) says nothing about this one.
TEST_F(AuditLogTest, ACheckpointForAnotherLogIsRefused) {
  AppendMany(4);
  auto signer = CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x2a'));
  auto elsewhere = AuditLog::Open(*db_, *signer, "another.example/audit");
  ASSERT_TRUE(elsewhere.ok());
  ASSERT_TRUE((*elsewhere)->Checkpoint().ok());
  const auto v = Verify();
  EXPECT_EQ(v.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(v.status.message().find("another.example/audit"), std::string::npos)
      << v.status.message();
  EXPECT_TRUE(AuditLog::Verify(*db_, key_, "another.example/audit").status.ok());
}

// An auditor verifies while the server keeps writing: records and
// checkpoints that land during the check are not reported as missing or as
// a truncated log.
TEST_F(AuditLogTest, VerifyingWhileRecordsArriveSeesOneConsistentLog) {
  AppendMany(5);
  ASSERT_TRUE(log_->Checkpoint().ok());
  std::atomic<bool> written{false};
  std::thread writer([&] {
    AuditRecord r;
    r.tenant_id = "jpn";
    r.actor = "key:writer";
    r.action = "inference";
    r.decision = "allow";
    for (int i = 0; i < 1500; ++i) {
      ASSERT_TRUE(log_->Append(r).ok());
      if (i % 5 == 0) {
        ASSERT_TRUE(log_->Checkpoint().ok());
      }
    }
    written = true;
  });
  int checks = 0;
  std::string first_failure;
  while (!written) {
    const auto v = Verify();
    ++checks;
    if (!v.status.ok() && first_failure.empty()) first_failure = v.status.ToString();
  }
  writer.join();
  EXPECT_EQ(first_failure, "") << "after " << checks << " checks";
  EXPECT_TRUE(Verify().status.ok());
}

TEST_F(AuditLogTest, TwoWritersOnOneDatabaseStayConsistent) {
  // A second process's log (another AuditLog on the same file) interleaves appends.
  auto db2 = store::OpenDatabase(location_);
  auto other =
      AuditLog::Open(**db2, *CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x2a')));
  ASSERT_TRUE(other.ok());
  AppendMany(3);
  AuditRecord r;
  r.action = "login";
  ASSERT_EQ(*(*other)->Append(r), 3u);  // caught up with the first writer's 3
  AppendMany(2);
  ASSERT_TRUE((*other)->Checkpoint().ok());
  ASSERT_TRUE(log_->Checkpoint().ok());
  const auto v = Verify();
  EXPECT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_EQ(v.records, 6u);
}

TEST_F(AuditLogTest, BackgroundWriterBatchesAndCheckpointsOnStop) {
  {
    AuditWriter writer(*log_, std::chrono::hours(1));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 250; ++i) {
          AuditRecord r;
          r.actor = "thread-" + std::to_string(t);
          r.action = "inference";
          EXPECT_TRUE(writer.Submit(r));
        }
      });
    }
    for (auto& th : threads) th.join();
    writer.Stop();
    EXPECT_EQ(writer.written(), 1000u);
    EXPECT_EQ(writer.dropped(), 0u);
    EXPECT_FALSE(writer.Submit(AuditRecord{}));  // stopped
  }
  const auto v = Verify();
  EXPECT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_EQ(v.records, 1000u);
  EXPECT_EQ(v.checkpoints, 1u);
}

TEST(AuditClockTest, RecordsAreStampedByTheInjectedClock) {
  const auto dir = testing::MakeTempDir("audit-clock");
  auto db = testing::OpenTestDatabase(dir);
  ManualClock clock(1'800'000'000.25);  // 2027-01-15 08:00:00.250 UTC
  auto log = std::move(AuditLog::Open(*db, *CheckpointSigner::FromSeed("a", std::string(32, 'x')),
                                      "daulat/audit", clock))
                 .value();
  AuditRecord r;
  r.tenant_id = "jpn";
  r.actor = "key:a";
  r.action = "inference";
  r.decision = "allow";
  ASSERT_TRUE(log->Append(r).ok());
  clock.Advance(86400);
  ASSERT_TRUE(log->Append(r).ok());
  auto rows = db->Query("SELECT time FROM audit_records ORDER BY seq");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(0), "2027-01-15T08:00:00.250Z");
  EXPECT_EQ((*rows)[1].Text(0), "2027-01-16T08:00:00.250Z");
  log.reset();
  db.reset();
  std::filesystem::remove_all(dir);
}

TEST(QueryFingerprintsTest, KeyedPerTenantAndNotGuessable) {
  const QueryFingerprints server(std::string(32, '\x2a'));
  const std::string f = server.Of("jpn", "Operasi Helang");
  EXPECT_EQ(f.rfind("hmac:", 0), 0u);
  EXPECT_EQ(f.size(), 5u + 32u);
  EXPECT_EQ(server.Of("jpn", "Operasi Helang"), f);  // auditors can see repeats
  EXPECT_NE(server.Of("kkm", "Operasi Helang"), f);  // but not across tenants
  EXPECT_NE(server.Of("jpn", "Operasi Helang."), f);
  EXPECT_NE(QueryFingerprints(std::string(32, '\x01')).Of("jpn", "Operasi Helang"), f);
  EXPECT_EQ(f.find(Sha256Hex("Operasi Helang").substr(0, 16)), std::string::npos);
}

}  // namespace
}  // namespace daulat::governance
