#include "governance/egress_guard.h"

#include <gtest/gtest.h>

namespace daulat::governance {
namespace {

RemoteBackendConfig Backend(std::string name, std::string url, std::string jurisdiction,
                            Classification level, std::vector<std::string> addresses = {}) {
  RemoteBackendConfig b;
  b.name = std::move(name);
  b.url = std::move(url);
  b.jurisdiction = std::move(jurisdiction);
  b.max_classification = level;
  b.models = {"m"};
  b.addresses = std::move(addresses);
  return b;
}

TEST(EgressGuardTest, OnlyConfiguredBackendsInAllowedJurisdictionsAtTheirOwnAddress) {
  RemoteBackendConfig my =
      Backend("mdec", "http://10.1.2.3:8000/v1", "MY", Classification::kTerhad);
  RemoteBackendConfig sg = Backend("sg", "http://10.9.9.9/v1", "SG", Classification::kTerbuka);
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
  auto tls = ParseBackendUrl("https://vllm.mdec.my/v1");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 443);
  EXPECT_FALSE(ParseBackendUrl("http://h")->tls);
  EXPECT_EQ(ParseBackendUrl("http://[fd00::5]:8000/v1")->host, "fd00::5");
  for (const char* bad : {"ftp://h/v1", "https://", "http://", "http://user@h/v1",
                          "http://h:99999/v1", "http://h:abc/v1", "http://h/v1?x=1", "h:80"}) {
    EXPECT_EQ(ParseBackendUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// A name is only as good as the DNS answer: where a backend is named by host
// name, the address it resolves to must be one the operator listed, so a
// poisoned or rebound answer cannot send prompts abroad (or to the cloud's
// metadata service).
TEST(EgressGuardTest, ResolvedAddressesMustBeOnesTheOperatorListed) {
  RemoteBackendConfig named = Backend("mdec", "https://vllm.mdec.my/v1", "MY",
                                      Classification::kTerhad, {"10.20.0.0/16", "fd00:20::/32"});
  RemoteBackendConfig literal =
      Backend("lit", "http://10.1.2.3:8000/v1", "MY", Classification::kTerbuka);
  RemoteBackendConfig local =
      Backend("local-llama", "http://localhost:8080/v1", "MY", Classification::kTerbuka);
  const EgressGuard guard({"MY"}, {named, literal, local});
  EXPECT_TRUE(guard.CheckResolved("mdec", "10.20.0.5").ok());
  EXPECT_TRUE(guard.CheckResolved("mdec", "fd00:20::7").ok());
  const Status rebound = guard.CheckResolved("mdec", "203.0.113.9");
  EXPECT_EQ(rebound.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(rebound.message().find("203.0.113.9"), std::string::npos) << rebound.message();
  EXPECT_FALSE(guard.CheckResolved("mdec", "169.254.169.254").ok());
  EXPECT_FALSE(guard.CheckResolved("mdec", "::ffff:203.0.113.9").ok());
  EXPECT_TRUE(guard.CheckResolved("mdec", "::ffff:10.20.0.5").ok());
  EXPECT_TRUE(guard.CheckResolved("lit", "10.1.2.3").ok());  // the address written
  EXPECT_FALSE(guard.CheckResolved("lit", "10.1.2.4").ok());
  EXPECT_TRUE(guard.CheckResolved("local-llama", "127.0.0.1").ok());  // localhost is loopback
  EXPECT_TRUE(guard.CheckResolved("local-llama", "::1").ok());
  EXPECT_FALSE(guard.CheckResolved("local-llama", "10.1.2.3").ok());
  EXPECT_FALSE(guard.CheckResolved("mdec", "not an address").ok());
  EXPECT_FALSE(guard.CheckResolved("nobody", "10.20.0.5").ok());

  // A backend named by host name must list its addresses; the list must parse.
  EXPECT_TRUE(CheckBackendAddresses(named).ok());
  EXPECT_TRUE(CheckBackendAddresses(literal).ok());
  EXPECT_TRUE(CheckBackendAddresses(local).ok());
  RemoteBackendConfig unlisted = named;
  unlisted.addresses.clear();
  const Status st = CheckBackendAddresses(unlisted);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("addresses"), std::string::npos) << st.message();
  for (const char* bad : {"10.0.0.0/33", "10.0.0.1/8", "nope", "", "fd00::/129"}) {
    RemoteBackendConfig b = named;
    b.addresses = {bad};
    EXPECT_EQ(CheckBackendAddresses(b).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace daulat::governance
