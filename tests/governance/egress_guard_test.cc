#include "governance/egress_guard.h"

#include <gtest/gtest.h>

namespace daulat::governance {
namespace {

TEST(EgressGuardTest, OnlyConfiguredBackendsInAllowedJurisdictionsAtTheirOwnAddress) {
  RemoteBackendConfig my{
      "mdec", "http://10.1.2.3:8000/v1", "MY", Classification::kTerhad, {"m"}, "", 120};
  RemoteBackendConfig sg{"sg", "http://10.9.9.9/v1", "SG", Classification::kTerbuka, {"s"}, "",
                         120};
  const EgressGuard guard({"MY"}, {my, sg});
  EXPECT_TRUE(guard.Check("mdec", "10.1.2.3", 8000).ok());
  const Status other_port = guard.Check("mdec", "10.1.2.3", 8001);
  EXPECT_EQ(other_port.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(other_port.message().find("not the address configured"), std::string::npos);
  EXPECT_EQ(guard.Check("mdec", "evil.example", 8000).code(), StatusCode::kPermissionDenied);
  const Status foreign = guard.Check("sg", "10.9.9.9", 80);
  EXPECT_EQ(foreign.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(foreign.message().find("jurisdiction SG is not allowed (allowed: MY)"),
            std::string::npos)
      << foreign.message();
  EXPECT_EQ(guard.Check("nobody", "10.1.2.3", 8000).code(), StatusCode::kPermissionDenied);
  // With no allowed jurisdictions nothing leaves.
  const EgressGuard closed({}, {my});
  EXPECT_NE(closed.Check("mdec", "10.1.2.3", 8000).message().find("allowed: none"),
            std::string::npos);
}

TEST(EgressGuardTest, BackendUrls) {
  auto e = ParseBackendUrl("http://vllm.mdec.my:8000/v1/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "vllm.mdec.my");
  EXPECT_EQ(e->port, 8000);
  EXPECT_EQ(e->base_path, "/v1");
  EXPECT_EQ(ParseBackendUrl("http://h")->port, 80);
  for (const char* bad : {"ftp://h/v1", "https://h/v1", "http://", "http://user@h/v1",
                          "http://h:99999/v1", "http://h:abc/v1", "http://h/v1?x=1", "h:80"}) {
    EXPECT_EQ(ParseBackendUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace daulat::governance
