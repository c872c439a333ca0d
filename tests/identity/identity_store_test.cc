#include "identity/identity_store.h"

#include <gtest/gtest.h>

#include "test_database.h"
#include "tiny_model.h"

namespace daulat::identity {
namespace {

class IdentityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("identity");
    db_ = testing::OpenTestDatabase(dir_);
    auto ids = IdentityStore::Open(*db_, clock_);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    ids_ = std::move(ids).value();
    ASSERT_TRUE(ids_->CreateTenant("jpn", "Jabatan Pendaftaran Negara").ok());
    ASSERT_TRUE(ids_->CreateTenant("kkm", "Kementerian Kesihatan").ok());
  }
  void TearDown() override {
    ids_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  ManualClock clock_{1'800'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<IdentityStore> ids_;
};

TEST_F(IdentityStoreTest, UsersSignInWithArgon2idPasswords) {
  ASSERT_TRUE(
      ids_->CreateUser("jpn", "aminah", "kata-laluan-panjang", Role::kAdmin, Classification::kSulit)
          .ok());
  auto p = ids_->Login("jpn", "aminah", "kata-laluan-panjang");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->role, Role::kAdmin);
  EXPECT_EQ(p->clearance, Classification::kSulit);
  EXPECT_EQ(p->tenant_id, "jpn");
  // Wrong password, unknown user, wrong tenant: one answer for all.
  const auto wrong = ids_->Login("jpn", "aminah", "kata-laluan-salah!");
  const auto unknown = ids_->Login("jpn", "nobody", "kata-laluan-panjang");
  const auto other_tenant = ids_->Login("kkm", "aminah", "kata-laluan-panjang");
  for (const auto* r : {&wrong, &unknown, &other_tenant}) {
    EXPECT_EQ(r->status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(r->status().message(), wrong.status().message());
  }
  // The stored hash is Argon2id, never the password.
  auto rows = db_->Query("SELECT password_hash FROM users");
  EXPECT_EQ((*rows)[0].Text(0).rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(
      ids_->CreateUser("jpn", "aminah", "another-password", Role::kMember, Classification::kTerbuka)
          .code(),
      StatusCode::kAlreadyExists);
  EXPECT_EQ(ids_->CreateUser("jpn", "x", "short", Role::kMember, Classification::kTerbuka).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(IdentityStoreTest, ApiKeysAreShownOnceStoredHashedAndAuthenticate) {
  auto key = ids_->CreateApiKey(
      "jpn", {"ci", Role::kService, Classification::kTerhad, {"inference"}, std::nullopt, {}, {}});
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->secret.rfind("dlt_" + key->prefix + "_", 0), 0u);
  auto stored = db_->Query("SELECT secret_hash, prefix FROM api_keys");
  EXPECT_EQ((*stored)[0].Text(0).find(key->secret), std::string::npos);
  EXPECT_EQ((*stored)[0].Text(0).size(), 64u);  // SHA-256 hex
  auto p = ids_->Authenticate(key->secret);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tenant_id, "jpn");
  EXPECT_EQ(p->subject, "key:" + key->id);
  EXPECT_EQ(p->role, Role::kService);
  EXPECT_EQ(p->clearance, Classification::kTerhad);
  EXPECT_EQ(p->scopes, std::vector<std::string>{"inference"});
  // A wrong secret with the right prefix, a malformed key, an unknown prefix.
  std::string forged = key->secret;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  for (const std::string& bad : {forged, std::string("dlt_short"), std::string(""),
                                 "dlt_zzzzzzzz_" + std::string(40, 'a')}) {
    EXPECT_EQ(ids_->Authenticate(bad).status().code(), StatusCode::kUnauthenticated) << bad;
  }
}

TEST_F(IdentityStoreTest, KeysExpireAndCanBeRevokedOnlyByTheirTenant) {
  auto key = ids_->CreateApiKey(
      "jpn", {"temp", Role::kMember, Classification::kTerbuka, {}, clock_.Seconds() + 60, {}, {}});
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(ids_->Authenticate(key->secret).ok());
  clock_.Advance(61);
  EXPECT_EQ(ids_->Authenticate(key->secret).status().code(), StatusCode::kUnauthenticated);
  auto other = ids_->CreateApiKey(
      "jpn", {"ops", Role::kMember, Classification::kTerbuka, {}, std::nullopt, {}, {}});
  EXPECT_EQ(ids_->RevokeApiKey("kkm", other->id).code(),
            StatusCode::kNotFound);  // another tenant's key
  EXPECT_TRUE(ids_->Authenticate(other->secret).ok());
  ASSERT_TRUE(ids_->RevokeApiKey("jpn", other->id).ok());
  EXPECT_EQ(ids_->Authenticate(other->secret).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ids_->RevokeApiKey("jpn", other->id).code(), StatusCode::kNotFound);  // already revoked
}

TEST_F(IdentityStoreTest, UnknownTenantsAndBadInputs) {
  EXPECT_FALSE(
      ids_->CreateApiKey("nope",
                         {"x", Role::kMember, Classification::kTerbuka, {}, std::nullopt, {}, {}})
          .ok());
  EXPECT_EQ(ids_->CreateApiKey(
                    "jpn", {"", Role::kMember, Classification::kTerbuka, {}, std::nullopt, {}, {}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ids_->CreateTenant("jpn", "again").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ParseRole("auditor"), Role::kAuditor);
  EXPECT_FALSE(ParseRole("root"));
}

}  // namespace
}  // namespace daulat::identity
