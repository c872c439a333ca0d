#include "identity/administration.h"

#include <gtest/gtest.h>

#include "test_database.h"
#include "tiny_model.h"

namespace daulat::identity {
namespace {

// The attacker in each test is a lower-cleared or lower-ranked admin of the
// same tenant, reaching for a colleague or key above it.
class AdministrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("administration");
    db_ = testing::OpenTestDatabase(dir_);
    ids_ = std::move(IdentityStore::Open(*db_)).value();
    ASSERT_TRUE(ids_->CreateTenant("jpn", "Jabatan Pendaftaran Negara").ok());
    ASSERT_TRUE(ids_->CreateUser("jpn", "rahsia-user", "kata-laluan-panjang", Role::kMember,
                                 Classification::kRahsia)
                    .ok());
    UserUpdate g;
    g.groups = std::vector<std::string>{"risikan"};
    ASSERT_TRUE(ids_->UpdateUser("jpn", "rahsia-user", g).ok());
    ASSERT_TRUE(ids_->CreateUser("jpn", "terhad-user", "kata-laluan-panjang", Role::kMember,
                                 Classification::kTerhad)
                    .ok());
    ApiKeyOptions owner;
    owner.name = "owner";
    owner.role = Role::kOwner;
    owner.clearance = Classification::kRahsiaBesar;
    owner_key_ = ids_->CreateApiKey("jpn", owner)->id;
    admin_.tenant_id = "jpn";
    admin_.subject = "user:terhad-admin";
    admin_.role = Role::kAdmin;
    admin_.clearance = Classification::kTerhad;
    admin_.groups = {"hr"};
  }
  void TearDown() override {
    ids_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  Administration admin() { return Administration(*ids_); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<IdentityStore> ids_;
  std::string owner_key_;
  Principal admin_;
};

TEST_F(AdministrationTest, AnAdminCannotTakeOverAHigherClearedUser) {
  const auto denied = [&](const UserUpdate& u) {
    return admin().UpdateUser(admin_, "rahsia-user", u).status().code() ==
           StatusCode::kPermissionDenied;
  };
  UserUpdate password;
  password.password = "a-password-i-now-know";
  EXPECT_TRUE(denied(password));
  UserUpdate groups;
  groups.groups = std::vector<std::string>{};
  EXPECT_TRUE(denied(groups));
  UserUpdate disable;
  disable.disabled = true;
  EXPECT_TRUE(denied(disable));
  UserUpdate lower;
  lower.clearance = Classification::kTerbuka;
  EXPECT_TRUE(denied(lower));
  // Nothing changed: the user still signs in with the old password.
  EXPECT_TRUE(ids_->Login("jpn", "rahsia-user", "kata-laluan-panjang").ok());
  EXPECT_FALSE(ids_->Login("jpn", "rahsia-user", "a-password-i-now-know").ok());
  // A user at the admin's own clearance: allowed.
  auto changed = admin().UpdateUser(admin_, "terhad-user", password);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(ids_->Login("jpn", "terhad-user", "a-password-i-now-know").ok());
  EXPECT_EQ(admin().UpdateUser(admin_, "nobody", password).status().code(), StatusCode::kNotFound);
}

TEST_F(AdministrationTest, AnAdminCannotRevokeOrThrottleAKeyAboveIt) {
  EXPECT_EQ(admin().RevokeApiKey(admin_, owner_key_).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(admin().SetApiKeyLimits(admin_, owner_key_, 1, 1).status().code(),
            StatusCode::kPermissionDenied);
  auto keys = ids_->ListApiKeys("jpn", {});
  ASSERT_EQ(keys->items.size(), 1u);
  EXPECT_FALSE(keys->items.front().revoked_at.has_value());
  EXPECT_EQ(keys->items.front().limits.requests_per_minute, 0);
  // Its own kind of key: allowed.
  ApiKeyOptions mine;
  mine.name = "service";
  mine.role = Role::kService;
  mine.clearance = Classification::kTerhad;
  auto k = admin().CreateApiKey(admin_, mine);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(admin().SetApiKeyLimits(admin_, k->info.id, 5, 900)->limits.requests_per_minute, 5);
  // A field not given stays as it was (0 would mean unlimited).
  auto kept = admin().SetApiKeyLimits(admin_, k->info.id, std::nullopt, 1000);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->limits.requests_per_minute, 5);
  EXPECT_EQ(kept->limits.tokens_per_day, 1000);
  EXPECT_TRUE(admin().RevokeApiKey(admin_, k->info.id).ok());
}

TEST_F(AdministrationTest, NothingIsGrantedAboveTheActor) {
  NewUser u{"baru", "kata-laluan-panjang", Role::kOwner, Classification::kTerbuka, {}};
  EXPECT_EQ(admin().CreateUser(admin_, u).status().code(), StatusCode::kPermissionDenied);
  u.role = Role::kMember;
  u.clearance = Classification::kSulit;
  EXPECT_EQ(admin().CreateUser(admin_, u).status().code(), StatusCode::kPermissionDenied);
  // Groups only from the admin's own.
  u.clearance = Classification::kTerhad;
  u.groups = {"risikan"};
  EXPECT_EQ(admin().CreateUser(admin_, u).status().code(), StatusCode::kPermissionDenied);
  u.groups = {"hr"};
  auto created = admin().CreateUser(admin_, u);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->groups, std::vector<std::string>{"hr"});
  UserUpdate more;
  more.groups = std::vector<std::string>{"hr", "risikan"};
  EXPECT_EQ(admin().UpdateUser(admin_, "baru", more).status().code(),
            StatusCode::kPermissionDenied);
  // Raising itself is granting: refused like any other grant.
  UserUpdate self;
  self.clearance = Classification::kRahsia;
  EXPECT_EQ(admin().UpdateUser(admin_, "terhad-user", self).status().code(),
            StatusCode::kPermissionDenied);
  // An owner grants any group.
  Principal owner = admin_;
  owner.role = Role::kOwner;
  owner.groups = {};
  EXPECT_TRUE(admin().UpdateUser(owner, "baru", more).ok());
}

TEST_F(AdministrationTest, KeysGetOnlyScopesTheActorHolds) {
  Principal key_admin = admin_;
  key_admin.subject = "key:limited";
  key_admin.scopes = {"identity", "documents"};
  ApiKeyOptions o;
  o.name = "k";
  o.role = Role::kMember;
  o.scopes = {"audit"};
  EXPECT_EQ(admin().CreateApiKey(key_admin, o).status().code(), StatusCode::kPermissionDenied);
  // No scopes means every scope of the role: more than this admin holds.
  o.scopes = {};
  EXPECT_EQ(admin().CreateApiKey(key_admin, o).status().code(), StatusCode::kPermissionDenied);
  NewUser u{"baru", "kata-laluan-panjang", Role::kMember, Classification::kTerbuka, {}};
  EXPECT_EQ(admin().CreateUser(key_admin, u).status().code(), StatusCode::kPermissionDenied);
  // "documents" covers "documents.read".
  o.scopes = {"documents.read", "documents"};
  EXPECT_TRUE(admin().CreateApiKey(key_admin, o).ok());
  o.scopes = {"collections", "no-such-scope"};
  EXPECT_EQ(admin().CreateApiKey(admin_, o).status().code(), StatusCode::kInvalidArgument);
  // Every scope the API checks can be granted.
  o.scopes = KnownScopes();
  o.role = Role::kAdmin;
  auto all = admin().CreateApiKey(admin_, o);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->info.scopes.size(), 12u);
}

TEST(AccessTest, ScopesCoverTheirReadScopeOnly) {
  EXPECT_TRUE(ScopesCover({}, "audit"));
  EXPECT_TRUE(ScopesCover({"policy"}, "policy.read"));
  EXPECT_FALSE(ScopesCover({"policy.read"}, "policy"));
  EXPECT_FALSE(ScopesCover({"documents"}, "documentsx.read"));
  EXPECT_FALSE(ScopesCover({"doc"}, "documents"));
  Principal p;
  p.role = Role::kAuditor;
  EXPECT_FALSE(MayUse(p, Permission::kInfer));
  p.role = Role::kMember;
  p.scopes = {"inference"};
  EXPECT_TRUE(MayUse(p, Permission::kInfer));
  EXPECT_FALSE(MayUse(p, Permission::kReadDocuments));
  EXPECT_TRUE(MayUse(p, Permission::kSelf));
}

}  // namespace
}  // namespace daulat::identity
