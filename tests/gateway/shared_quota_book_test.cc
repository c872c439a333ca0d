#include "gateway/shared_quota_book.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "valkey_server.h"

namespace daulat::gateway {
namespace {

// Three nodes of a cluster: each its own Valkey client and book, one server.
class SharedQuotaBookTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::Valkey> Client() {
    store::ValkeyOptions options;
    options.retry_after = std::chrono::milliseconds(0);  // tests restart the server at once
    auto c = store::Valkey::Create(server_.url(), options);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }
  std::unique_ptr<SharedQuotaBook> Node(store::Valkey& valkey,
                                        const SharedQuotaOptions& options = {}) {
    return std::make_unique<SharedQuotaBook>(valkey, clock_, options);
  }
  testing::ValkeyTestServer server_;
  ManualClock clock_{1'800'000'000.0};
};

// The limit holds across nodes admitting at the same time: 3 nodes, 4
// threads each, 20 tries per thread against a tenant's 30 requests a minute.
TEST_F(SharedQuotaBookTest, ThreeNodesTogetherAdmitWhatOneWould) {
  std::vector<std::unique_ptr<store::Valkey>> clients;
  std::vector<std::unique_ptr<SharedQuotaBook>> nodes;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(Client());
    nodes.push_back(Node(*clients.back()));
    nodes.back()->SetTenantLimits("jpn", {30, 0});
  }
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      auto& node = *nodes[static_cast<size_t>(t % 3)];
      for (int i = 0; i < 20; ++i) {
        const Status st = node.Admit("k" + std::to_string(t), "jpn");
        if (st.ok()) {
          ++admitted;
        } else {
          EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
          ++refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_NEAR(admitted.load(), 30, 1);
  EXPECT_EQ(admitted + refused, 240);
  // Two seconds later one more request's worth has come back, for any node.
  clock_.Advance(2);
  EXPECT_TRUE(nodes[2]->Admit("k0", "jpn").ok());
  EXPECT_EQ(nodes[0]->Admit("k0", "jpn").code(), StatusCode::kResourceExhausted);
}

// Tokens reserved on one node are not there for another until settled; what
// is used is charged once, wherever it is counted.
TEST_F(SharedQuotaBookTest, TokensReservedOnOneNodeAreHeldForAll) {
  auto a_client = Client(), b_client = Client();
  auto a = Node(*a_client), b = Node(*b_client);
  for (auto* n : {a.get(), b.get()}) n->SetTenantLimits("jpn", {0, 1000});
  auto granted = a->Reserve("k1", "jpn", 100, 800);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 800);
  auto rest = b->Reserve("k2", "jpn", 50, 500);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 50);  // cut short: 100 of 1000 were left
  const auto none = b->Reserve("k2", "jpn", 10, 10);
  EXPECT_EQ(none.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(none.status().message().find("free while other calls run"), std::string::npos)
      << none.status().message();
  EXPECT_NE(none.status().message().find("retry after 1 s"), std::string::npos)
      << none.status().message();
  a->Settle("k1", "jpn", 900, 300);
  b->Settle("k2", "jpn", 100, 100);
  EXPECT_EQ(a->TokensToday("jpn"), 400);
  EXPECT_EQ(b->TokensToday("jpn"), 400);
  EXPECT_EQ(b->TokensToday("jpn", "k1"), 300);
  auto again = b->Reserve("k2", "jpn", 100, -1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 500);
}

// A node that dies holds no budget for ever: its reservations lapse.
TEST_F(SharedQuotaBookTest, ADeadNodesReservationsLapse) {
  auto survivor_client = Client();
  auto survivor = Node(*survivor_client);
  survivor->SetTenantLimits("jpn", {0, 1000});
  {
    auto dying_client = Client();
    SharedQuotaOptions options;
    options.lease_seconds = 600;
    auto dying = Node(*dying_client, options);
    dying->SetTenantLimits("jpn", {0, 1000});
    ASSERT_TRUE(dying->Reserve("k1", "jpn", 100, 850).ok());
  }  // gone without settling
  EXPECT_EQ(survivor->Reserve("k2", "jpn", 100, 10).status().code(),
            StatusCode::kResourceExhausted);
  clock_.Advance(601);
  auto granted = survivor->Reserve("k2", "jpn", 100, 10);
  ASSERT_TRUE(granted.ok()) << granted.status().ToString();
  EXPECT_EQ(*granted, 10);
}

// By default a node that cannot reach Valkey refuses what it cannot count
// (no tenant passes its limits during an outage); accounts without limits
// are not held up. After the outage counting goes on, scripts reloaded.
TEST_F(SharedQuotaBookTest, RefusesWhileValkeyIsDownThenCountsAgain) {
  auto client = Client();
  auto node = Node(*client);
  node->SetKeyLimits("k1", "jpn", {5, 0});
  ASSERT_TRUE(node->Admit("k1", "jpn").ok());
  server_.Stop();
  const Status down = node->Admit("k1", "jpn");
  EXPECT_EQ(down.code(), StatusCode::kUnavailable);
  EXPECT_NE(down.message().find("on_unavailable"), std::string::npos) << down.message();
  node->SetKeyLimits("k1", "jpn", {5, 1000});
  EXPECT_EQ(node->Reserve("k1", "jpn", 10, 10).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(node->Admit("k9", "kkm").ok());  // no limits: nothing to count
  ASSERT_TRUE(server_.Start());                // empty: it kept nothing
  EXPECT_TRUE(node->Admit("k1", "jpn").ok());
  auto granted = node->Reserve("k1", "jpn", 10, 10);
  ASSERT_TRUE(granted.ok()) << granted.status().ToString();
  node->Settle("k1", "jpn", 20, 20);
  EXPECT_EQ(node->TokensToday("jpn", "k1"), 20);
}

// What a call used while Valkey was away is charged once it is back.
TEST_F(SharedQuotaBookTest, UseDuringAnOutageIsChargedAfterIt) {
  auto client = Client();
  auto node = Node(*client);
  node->SetTenantLimits("jpn", {0, 1000});
  ASSERT_TRUE(node->Reserve("k1", "jpn", 100, 100).ok());
  server_.Stop();
  node->Settle("k1", "jpn", 200, 150);
  EXPECT_EQ(node->unsettled(), 1u);
  ASSERT_TRUE(server_.Start());
  ASSERT_TRUE(node->Admit("k1", "jpn").ok());  // any call that reaches Valkey sends it
  EXPECT_EQ(node->unsettled(), 0u);
  EXPECT_EQ(node->TokensToday("jpn"), 150);
}

// Whatever Valkey answers that is not a count (here a key of another type
// where the tenant's count should be) is refused, never admitted.
TEST_F(SharedQuotaBookTest, AnAnswerThatIsNoCountIsRefused) {
  auto client = Client();
  auto node = Node(*client);
  node->SetTenantLimits("jpn", {10, 1000});
  ASSERT_TRUE(client->Command({"SET", "daulat:quota:h:tenant:jpn", "not a hash"}).ok());
  const Status st = node->Admit("k1", "jpn");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_EQ(st.message().find("WRONGTYPE"), std::string::npos) << "details stay in the log";
  EXPECT_EQ(node->Reserve("k1", "jpn", 10, 10).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(node->Admit("k1", "kkm").ok());  // other tenants are counted as ever
}

// The operator's other choice: each node counts alone while Valkey is down.
TEST_F(SharedQuotaBookTest, CountsOnTheNodeDuringAnOutageWhenConfigured) {
  auto client = Client();
  SharedQuotaOptions options;
  options.on_unavailable = QuotaOutage::kLocal;
  auto node = Node(*client, options);
  node->SetKeyLimits("k1", "jpn", {2, 100});
  server_.Stop();
  EXPECT_TRUE(node->Admit("k1", "jpn").ok());
  EXPECT_TRUE(node->Admit("k1", "jpn").ok());
  EXPECT_EQ(node->Admit("k1", "jpn").code(), StatusCode::kResourceExhausted);
  auto granted = node->Reserve("k1", "jpn", 10, 500);
  ASSERT_TRUE(granted.ok()) << granted.status().ToString();
  EXPECT_EQ(*granted, 90);
  node->Settle("k1", "jpn", 100, 40);
  EXPECT_EQ(node->TokensToday("jpn", "k1"), 40);  // counted on the node
}

TEST(ValkeyAddressTest, ReadsWhatOperatorsWriteAndRefusesTheRest) {
  auto plain = store::ValkeyAddress::Parse("redis://cache.internal");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->Name(), "cache.internal:6379");
  auto full = store::ValkeyAddress::Parse("valkey://daulat:p%40ss%3Aw@[fd00::5]:6380/2");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->user, "daulat");
  EXPECT_EQ(full->password, "p@ss:w");
  EXPECT_EQ(full->host, "fd00::5");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 2);
  EXPECT_EQ(full->Name(), "[fd00::5]:6380");
  auto password_only = store::ValkeyAddress::Parse("redis://:s3cret@10.0.0.7:7000");
  ASSERT_TRUE(password_only.ok());
  EXPECT_EQ(password_only->password, "s3cret");
  EXPECT_TRUE(password_only->user.empty());
  const auto tls = store::ValkeyAddress::Parse("rediss://:s3cret@cache:6380");
  EXPECT_EQ(tls.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tls.status().message().find("TLS"), std::string::npos);
  for (const char* bad :
       {"", "cache:6379", "http://cache", "redis://", "redis://:6379", "redis://cache:0",
        "redis://cache:65536", "redis://cache:x", "redis://cache/db", "redis://cache/-1",
        "redis://user@cache", "redis://:p%zz@cache", "redis://:p%4@cache", "redis://[fd00::5",
        "redis://[fd00::5]x", "redis://ca che", "redis://cache;rm", "redis://cache\n"}) {
    const auto r = store::ValkeyAddress::Parse(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos);
  }
  // The password never appears in what is reported.
  const auto secret = store::ValkeyAddress::Parse("redis://:s3cret@cache:99999");
  EXPECT_EQ(secret.status().message().find("s3cret"), std::string::npos);
}

// A wrong password is the operator's mistake, not an outage: said at once.
TEST_F(SharedQuotaBookTest, AWrongPasswordIsRefusedAndNeverShown) {
  ASSERT_TRUE(server_.StartWithPassword("right-horse-battery"));
  const std::string base = "redis://:wrong-guess@127.0.0.1:" + std::to_string(server_.port());
  auto wrong = store::Valkey::Connect(base);
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(wrong.status().message().find("wrong-guess"), std::string::npos);
  auto none = store::Valkey::Connect("redis://127.0.0.1:" + std::to_string(server_.port()));
  ASSERT_TRUE(none.ok());  // connected; commands are refused by the server
  EXPECT_FALSE((*none)->Command({"PING"}).ok());
  auto right = store::Valkey::Connect(server_.url());
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  EXPECT_TRUE((*right)->Command({"PING"}).ok());
}

// Nothing on the port: UNAVAILABLE at once, not a hang.
TEST_F(SharedQuotaBookTest, NothingListeningIsUnavailable) {
  const int port = server_.port();
  server_.Stop();
  auto c = store::Valkey::Connect("redis://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
}

// A Valkey that accepts connections and never answers (hung, or a network
// that drops replies) costs one command timeout, not one per request: the
// calls after it fail at once until the client tries again.
TEST(ValkeyClientTest, AHungServerCostsOneTimeoutNotOnePerRequest) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 16), 0);  // the kernel completes connects; nobody answers
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  store::ValkeyOptions options;
  options.command_timeout = std::chrono::milliseconds(200);
  options.retry_after = std::chrono::milliseconds(60000);
  auto client = std::move(store::Valkey::Create(
                              "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), options))
                    .value();
  const auto first = client->Command({"PING"});
  EXPECT_EQ(first.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(first.status().message().find("did not answer"), std::string::npos)
      << first.status().message();
  for (int i = 0; i < 10; ++i) {
    const auto next = client->Command({"PING"});
    EXPECT_EQ(next.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(next.status().message().find("trying again shortly"), std::string::npos)
        << next.status().message();
  }
  ::close(listener);
}

}  // namespace
}  // namespace daulat::gateway
