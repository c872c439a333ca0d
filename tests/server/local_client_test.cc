#include "server/local_client.h"

#include <gtest/gtest.h>

namespace daulat::server {
namespace {

TEST(LocalClientTest, OnlyLoopbackNamesAreLocalHosts) {
  for (const char* host : {"localhost", "LOCALHOST:8080", "localhost.", "127.0.0.1", "127.9.9.9:1",
                           "[::1]", "[::1]:8080"})
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  for (const char* host : {"", "evil.example", "evil.example:8080", "localhost.evil",
                           "127.0.0.1.evil.example", "10.0.0.1", "[::1", "[::1]x", "localhost:",
                           "localhost:99999x", "0.0.0.0", "::1:80", "127.0.0.1:80:80"})
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
}

// A scraper names the metrics listener by its address; a DNS-rebound page
// can only name it by the attacker's own domain.
TEST(LocalClientTest, AddressHostsAreIpLiteralsOrLoopback) {
  for (const char* host :
       {"localhost:9464", "10.0.0.5", "10.0.0.5:9464", "[2001:db8::1]:9464", "127.0.0.1"})
    EXPECT_TRUE(IsAddressHost(host)) << host;
  for (const char* host : {"", "evil.example:9464", "10.0.0.5.nip.io", "daulat.local", "[::1",
                           "10.0.0.5:x", "2001:db8::1"})
    EXPECT_FALSE(IsAddressHost(host)) << host;
}

TEST(LocalClientTest, OnlyLoopbackOriginsAreLocal) {
  for (const char* origin : {"http://localhost:8080", "https://127.0.0.1", "http://[::1]:3000"})
    EXPECT_TRUE(IsLoopbackOrigin(origin)) << origin;
  for (const char* origin : {"null", "", "http://evil.example", "file://", "http://localhost/x",
                             "ftp://localhost", "http://localhost.evil.example"})
    EXPECT_FALSE(IsLoopbackOrigin(origin)) << origin;
}

}  // namespace
}  // namespace daulat::server
