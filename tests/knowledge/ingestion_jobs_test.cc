#include "knowledge/ingestion_jobs.h"

#include <gtest/gtest.h>

#include "store/database.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::knowledge {
namespace {

class IngestionJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("jobs");
    db_ = testing::OpenTestDatabase(dir_);
    jobs_ = std::move(IngestionJobs::Open(*db_)).value();
  }
  void TearDown() override {
    jobs_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<IngestionJobs> jobs_;
};

TEST_F(IngestionJobsTest, AJobBelongsToItsCreatorAndKeepsEachFilesOutcome) {
  auto job = jobs_->Create("jpn", "key:a", "pekeliling", {"a.pdf", "b.docx"});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->id.rfind("job_", 0), 0u);
  EXPECT_EQ(job->status, "queued");
  job->status = "completed";
  job->files[0].status = "added";
  job->files[0].document_id = "doc_1";
  job->files[0].version = 2;
  job->files[0].chunks = 7;
  job->files[1].status = "failed";
  job->files[1].error = "encrypted PDF";
  ASSERT_TRUE(jobs_->Save(*job).ok());
  auto read = jobs_->Get("jpn", "key:a", job->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, "completed");
  EXPECT_EQ(read->files[0].document_id, "doc_1");
  EXPECT_EQ(read->files[0].chunks, 7);
  EXPECT_EQ(read->files[1].error, "encrypted PDF");
  const auto j = ToJson(*read);
  EXPECT_EQ(j["counts"]["added"], 1);
  EXPECT_EQ(j["counts"]["failed"], 1);
  EXPECT_EQ(j["counts"]["pending"], 0);
  // Another credential, or another tenant, is told it does not exist.
  EXPECT_EQ(jobs_->Get("jpn", "key:b", job->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(jobs_->Get("kkm", "key:a", job->id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(jobs_->List("jpn", "key:b", 10)->empty());
  ASSERT_TRUE(jobs_->Create("jpn", "key:a", "pekeliling", {"c.md"}).ok());
  EXPECT_EQ(jobs_->List("jpn", "key:a", 10)->size(), 2u);
  EXPECT_EQ(jobs_->List("jpn", "key:a", 1)->size(), 1u);
  // Erasing a document takes its name and id out of the job too.
  ASSERT_TRUE(jobs_->ForgetDocument("jpn", "doc_1").ok());
  read = jobs_->Get("jpn", "key:a", job->id);
  EXPECT_EQ(read->files[0].name, "(erased)");
  EXPECT_EQ(read->files[0].status, "erased");
  EXPECT_TRUE(read->files[0].document_id.empty());
  EXPECT_EQ(read->files[1].name, "b.docx");
}

TEST_F(IngestionJobsTest, ARestartMarksUnfinishedJobsInterrupted) {
  auto job = jobs_->Create("jpn", "key:a", "c", {"a.md", "b.md"});
  job->status = "running";
  job->files[0].status = "added";
  ASSERT_TRUE(jobs_->Save(*job).ok());
  auto done = jobs_->Create("jpn", "key:a", "c", {"z.md"});
  done->status = "completed";
  done->files[0].status = "added";
  ASSERT_TRUE(jobs_->Save(*done).ok());
  jobs_ = std::move(IngestionJobs::Open(*db_)).value();
  // Opening alone (a CLI command beside a running server) changes nothing.
  EXPECT_EQ(jobs_->Get("jpn", "key:a", job->id)->status, "running");
  EXPECT_EQ(jobs_->MarkInterrupted().value(), 1);
  EXPECT_EQ(jobs_->MarkInterrupted().value(), 0);
  auto read = jobs_->Get("jpn", "key:a", job->id);
  EXPECT_EQ(read->status, "interrupted");
  EXPECT_EQ(read->files[0].status, "added");
  EXPECT_EQ(read->files[1].status, "failed");
  EXPECT_NE(read->files[1].error.find("upload it again"), std::string::npos);
  EXPECT_EQ(jobs_->Get("jpn", "key:a", done->id)->status, "completed");
}

}  // namespace
}  // namespace daulat::knowledge
