#include "governance/checkpoint.h"

#include <gtest/gtest.h>

namespace daulat::governance {
namespace {

// The example from the signed-note specification (golang.org/x/mod/sumdb/note).
constexpr const char* kSpecKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr const char* kSpecNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

TEST(CheckpointTest, VerifiesTheSpecificationExample) {
  auto body = VerifyNote(kSpecNote, kSpecKey);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body,
            "If you think cryptography is the answer to your problem,\nthen you don't know what "
            "your problem is.\n");
  std::string altered = kSpecNote;
  altered[3] = 'X';
  EXPECT_EQ(VerifyNote(altered, kSpecKey).status().code(), StatusCode::kDataLoss);
}

TEST(CheckpointTest, SignAndVerifyRoundTrip) {
  auto signer = CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x07'));
  ASSERT_TRUE(signer.ok());
  Checkpoint c{"daulat.example.gov.my/audit", 12345, LeafHash("x")};
  const std::string note = signer->Sign(c);
  EXPECT_EQ(note.rfind("daulat.example.gov.my/audit\n12345\n", 0), 0u) << note;
  EXPECT_NE(note.find("\n\n\xe2\x80\x94 daulat-audit "), std::string::npos);
  auto back = VerifyCheckpoint(note, signer->VerifierKey());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->origin, c.origin);
  EXPECT_EQ(back->size, c.size);
  EXPECT_EQ(back->root, c.root);
  // Same seed, same key; deterministic signature.
  EXPECT_EQ(CheckpointSigner::FromSeed("daulat-audit", std::string(32, '\x07'))->Sign(c), note);
}

TEST(CheckpointTest, TamperingAndWrongKeysAreRefused) {
  auto signer = CheckpointSigner::Generate("audit");
  auto other = CheckpointSigner::Generate("audit");
  ASSERT_TRUE(signer.ok() && other.ok());
  const std::string note = signer->Sign({"log", 7, LeafHash("r")});
  std::string bigger = note;
  bigger.replace(bigger.find("\n7\n"), 3, "\n8\n");  // claim a larger log
  EXPECT_EQ(VerifyCheckpoint(bigger, signer->VerifierKey()).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(VerifyCheckpoint(note, other->VerifierKey()).status().code(), StatusCode::kDataLoss);
  std::string bad_sig = note;
  bad_sig[bad_sig.size() - 6] = bad_sig[bad_sig.size() - 6] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyCheckpoint(bad_sig, signer->VerifierKey()).ok());
}

TEST(CheckpointTest, MalformedInputIsInvalidArgument) {
  auto signer = CheckpointSigner::Generate("audit");
  ASSERT_TRUE(signer.ok());
  const std::string key = signer->VerifierKey();
  for (const std::string note : {"", "no blank line\n", "log\n1\nroot\n\nnot a signature line\n"}) {
    EXPECT_EQ(VerifyCheckpoint(note, key).status().code(), StatusCode::kInvalidArgument) << note;
  }
  EXPECT_EQ(VerifyCheckpoint("log\n1\nroot\n\n", key).status().code(),
            StatusCode::kDataLoss);  // unsigned
  const std::string note = signer->Sign({"log", 1, LeafHash("r")});
  for (const std::string k : {"", "audit", "audit+zz+AAAA",
                              "audit+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"}) {
    EXPECT_EQ(VerifyCheckpoint(note, k).status().code(), StatusCode::kInvalidArgument) << k;
  }
  EXPECT_EQ(CheckpointSigner::FromSeed("bad name", std::string(32, 'x')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckpointSigner::FromSeed("ok", "short").status().code(),
            StatusCode::kInvalidArgument);
  // A note whose body is not a checkpoint, correctly signed: still refused as a checkpoint.
  EXPECT_EQ(VerifyCheckpoint(kSpecNote, kSpecKey).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace daulat::governance
