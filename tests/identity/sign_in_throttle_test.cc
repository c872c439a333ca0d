#include "identity/sign_in_throttle.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "identity/shared_sign_in_throttle.h"
#include "valkey_server.h"

namespace daulat::identity {
namespace {

// Every throttle counts alike: in this process, and in a real Valkey
// (Debian's redis-server, started by the test) for every node of a cluster.
class SignInThrottleTest : public ::testing::TestWithParam<std::string> {
 protected:
  SignInThrottle& Throttle(const Clock& clock, SignInThrottleOptions options = {}) {
    if (GetParam() == "local") {
      throttle_ = std::make_unique<LocalSignInThrottle>(clock, options);
    } else {
      server_ = std::make_unique<testing::ValkeyTestServer>();
      valkey_ = std::move(store::Valkey::Connect(server_->url())).value();
      throttle_ = std::make_unique<SharedSignInThrottle>(*valkey_, clock, options);
    }
    return *throttle_;
  }
  std::unique_ptr<testing::ValkeyTestServer> server_;
  std::unique_ptr<store::Valkey> valkey_;
  std::unique_ptr<SignInThrottle> throttle_;
};
INSTANTIATE_TEST_SUITE_P(Throttles, SignInThrottleTest, ::testing::Values("local", "valkey"),
                         [](const auto& kind) { return kind.param; });

// A guesser at one account from one address: three free tries, then
// doubling waits, then a lock; the waits are refused before any password is
// checked.
TEST_P(SignInThrottleTest, GuessesAtOneAccountSlowDownThenLock) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(t.Check("jpn", "ali", "10.0.0.1").ok());
    EXPECT_EQ(t.Failed("jpn", "ali", "10.0.0.1"), "");
  }
  EXPECT_TRUE(t.Check("jpn", "ali", "10.0.0.1").ok());
  EXPECT_NE(t.Failed("jpn", "ali", "10.0.0.1").find("next attempt in 1 s"), std::string::npos);
  const Status wait = t.Check("jpn", "ali", "10.0.0.1");
  EXPECT_EQ(wait.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(wait.message().find("retry after 1 s"), std::string::npos) << wait.message();
  EXPECT_TRUE(t.Check("jpn", "abu", "10.0.0.2").ok());  // other accounts unaffected
  int64_t waited = 0;
  for (int failures = 5; failures <= 9; ++failures) {
    clock.Advance(61);
    ASSERT_TRUE(t.Check("jpn", "ali", "10.0.0.1").ok()) << failures;
    t.Failed("jpn", "ali", "10.0.0.1");
    const Status st = t.Check("jpn", "ali", "10.0.0.1");
    ASSERT_FALSE(st.ok());
    const int64_t now_wait = std::stoll(st.message().substr(st.message().find("after ") + 6));
    EXPECT_GE(now_wait, waited) << "waits grow";
    waited = now_wait;
  }
  clock.Advance(61);
  EXPECT_NE(t.Failed("jpn", "ali", "10.0.0.1").find("account from this address locked for 900 s"),
            std::string::npos);
  clock.Advance(899);
  EXPECT_FALSE(t.Check("jpn", "ali", "10.0.0.1").ok());
  clock.Advance(2);
  EXPECT_TRUE(t.Check("jpn", "ali", "10.0.0.1").ok());
}

// Whoever can type a user name must not be able to lock its owner out: the
// lock holds the guesser's address, and the owner, elsewhere, signs in.
TEST_P(SignInThrottleTest, AGuesserCannotLockTheOwnerOut) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  for (int i = 0; i < 40; ++i) {
    clock.Advance(61);
    if (t.Check("jpn", "admin", "203.0.113.9").ok()) t.Failed("jpn", "admin", "203.0.113.9");
  }
  EXPECT_EQ(t.Check("jpn", "admin", "203.0.113.9").code(), StatusCode::kResourceExhausted);
  const Status owner = t.Check("jpn", "admin", "10.1.2.3");
  ASSERT_TRUE(owner.ok()) << owner.message();
  t.Succeeded("jpn", "admin", "10.1.2.3");
  EXPECT_EQ(t.Check("jpn", "admin", "203.0.113.9").code(), StatusCode::kResourceExhausted);
}

// Guesses at one account from many addresses (a botnet) slow the account
// down for everyone, but never lock it: at most max_delay between guesses.
TEST_P(SignInThrottleTest, GuessesFromManyAddressesSlowTheAccountButNeverLockIt) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  int guesses = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string from = "198.51." + std::to_string(i / 200) + "." + std::to_string(i % 200);
    if (!t.Check("jpn", "admin", from).ok()) {
      clock.Advance(1);
      continue;
    }
    ++guesses;
    t.Failed("jpn", "admin", from);
  }
  EXPECT_LT(guesses, 40) << "the account's waits bind across addresses";
  const Status st = t.Check("jpn", "admin", "10.1.2.3");
  if (!st.ok()) {
    const int64_t wait = std::stoll(st.message().substr(st.message().find("after ") + 6));
    EXPECT_LE(wait, 30) << st.message();
  }
  clock.Advance(31);
  EXPECT_TRUE(t.Check("jpn", "admin", "10.1.2.3").ok());
}

// An attacker who renews the account-wide wait as it ends would keep the
// owner out forever: an address the owner has signed in from before is not
// held by the account-wide wait (its own count still holds).
TEST_P(SignInThrottleTest, AnAddressTheOwnerUsedBeforeIsNotHeldByTheAccountWideWait) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  ASSERT_TRUE(t.Check("jpn", "admin", "10.1.2.3").ok());
  t.Succeeded("jpn", "admin", "10.1.2.3");  // the owner's usual desk
  for (int i = 0; i < 60; ++i) {            // a botnet, one guess as each wait ends
    const std::string from = "198.51.100." + std::to_string(i);
    clock.Advance(31);
    if (t.Check("jpn", "admin", from).ok()) t.Failed("jpn", "admin", from);
  }
  EXPECT_FALSE(t.Check("jpn", "admin", "203.0.113.50").ok());  // a new address waits
  const Status owner = t.Check("jpn", "admin", "10.1.2.3");
  EXPECT_TRUE(owner.ok()) << owner.message();
  t.Abandoned("jpn", "admin", "10.1.2.3");
  // Its own guesses still count: the known address is not a free pass.
  for (int i = 0; i < 12; ++i) {
    clock.Advance(61);
    if (t.Check("jpn", "admin", "10.1.2.3").ok()) t.Failed("jpn", "admin", "10.1.2.3");
  }
  EXPECT_FALSE(t.Check("jpn", "admin", "10.1.2.3").ok());
}

// An IPv6 host holds a whole /64: its addresses count as one.
TEST_P(SignInThrottleTest, AnIpv6HostCannotHideBehindItsOwnSlash64) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  std::string note;
  for (int i = 0; i < 60; ++i) {
    const std::string from = "2001:db8:1:2::" + std::to_string(i + 1);
    const std::string user = "pegawai" + std::to_string(i);
    clock.Advance(61);
    if (t.Check("jpn", user, from).ok()) note = t.Failed("jpn", user, from);
  }
  EXPECT_NE(note.find("address locked"), std::string::npos) << note;
  EXPECT_EQ(t.Check("jpn", "pegawai99", "2001:db8:1:2:ffff::1").code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(t.Check("jpn", "pegawai99", "2001:db8:1:3::1").ok());  // the next /64
  // One site holds a /48: spraying from each of its /64s in turn is counted too.
  std::string site_note;
  for (int i = 0; i < 400; ++i) {
    const std::string from = "2001:db8:7:" + std::to_string(i % 200 + 1) + "::1";
    const std::string user = "staf" + std::to_string(i);
    clock.Advance(61);
    if (t.Check("jpn", user, from).ok()) {
      site_note = t.Failed("jpn", user, from);
      if (site_note.find("network locked") != std::string::npos) break;
    }
  }
  EXPECT_NE(site_note.find("network locked"), std::string::npos) << site_note;
  EXPECT_FALSE(t.Check("jpn", "staf999", "2001:db8:7:ffff::1").ok());
  EXPECT_TRUE(t.Check("jpn", "staf999", "2001:db8:8::1").ok());  // another site
  // An IPv4 address written as IPv6 is the IPv4 address; loopback either way.
  for (int i = 0; i < 60; ++i) {
    clock.Advance(61);
    if (t.Check("jpn", "u" + std::to_string(i), "::ffff:203.0.113.7").ok())
      t.Failed("jpn", "u" + std::to_string(i), "::ffff:203.0.113.7");
  }
  EXPECT_FALSE(t.Check("jpn", "v", "203.0.113.7").ok());
  for (int i = 0; i < 60; ++i) t.Failed("jpn", "w" + std::to_string(i), "::ffff:127.0.0.1");
  EXPECT_TRUE(t.Check("jpn", "x", "127.0.0.1").ok());
}

// One address spraying many accounts (a password tried everywhere).
TEST_P(SignInThrottleTest, OneAddressSprayingManyAccountsIsLocked) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  std::string note;
  for (int i = 0; i < 50; ++i) {
    const std::string user = "pegawai" + std::to_string(i);
    ASSERT_TRUE(t.Check("jpn", user, "203.0.113.9").ok() || i >= 10) << i;
    clock.Advance(61);
    note = t.Failed("jpn", user, "203.0.113.9");
  }
  EXPECT_NE(note.find("address locked"), std::string::npos) << note;
  EXPECT_EQ(t.Check("jpn", "pegawai99", "203.0.113.9").code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(t.Check("jpn", "pegawai99", "198.51.100.7").ok());
}

// Signing in clears the account, never the address: an account the attacker
// owns must not wash its address clean between guesses.
TEST_P(SignInThrottleTest, SuccessClearsTheAccountOnly) {
  ManualClock clock(1000);
  SignInThrottleOptions o;
  o.address = {2, 60, 50, 900};
  auto& t = Throttle(clock, o);
  for (int i = 0; i < 4; ++i) t.Failed("jpn", "ali", "10.0.0.1");
  t.Succeeded("jpn", "ali", "10.0.0.1");
  EXPECT_TRUE(t.Check("jpn", "ali", "10.0.0.9").ok());
  EXPECT_EQ(t.Check("jpn", "ali", "10.0.0.1").code(), StatusCode::kResourceExhausted);
}

TEST(LocalSignInThrottleTest, MemoryIsBoundedAndNamesCannotCollide) {
  ManualClock clock(1000);
  SignInThrottleOptions o;
  o.account = {0, 60, 0, 900};
  o.address = {1000, 60, 1000, 900};
  o.max_entries = 100;
  LocalSignInThrottle t(clock, o);
  t.Failed("jpn", "ali", "x");  // blocks jpn/ali for 1 s
  EXPECT_FALSE(t.Check("jpn", "ali", "y").ok());
  EXPECT_TRUE(t.Check("jp", "nali", "y").ok());  // the same letters, another pair
  for (int i = 0; i < 1000; ++i) t.Failed("t", std::to_string(i), "x");
  EXPECT_TRUE(t.Check("jpn", "ali", "y").ok());  // the oldest were forgotten first
}

// Guesses sent in parallel are counted before they are checked: no more
// run at once than the failures still free, and one once they are spent.
TEST_P(SignInThrottleTest, ParallelGuessesCannotOutrunTheCount) {
  ManualClock clock(1000);
  auto& t = Throttle(clock);
  int let_through = 0;
  for (int i = 0; i < 1000; ++i) {
    if (t.Check("jpn", "ali", "10.0.0." + std::to_string(i % 250)).ok()) ++let_through;
  }
  EXPECT_EQ(let_through, 10);
  for (int i = 0; i < 10; ++i) t.Failed("jpn", "ali", "10.0.0." + std::to_string(i));
  clock.Advance(61);
  EXPECT_TRUE(t.Check("jpn", "ali", "10.0.0.7").ok());   // one at a time now
  EXPECT_FALSE(t.Check("jpn", "ali", "10.0.0.8").ok());  // while that one is checked
  t.Abandoned("jpn", "ali", "10.0.0.7");                 // the store failed: not counted
  EXPECT_TRUE(t.Check("jpn", "ali", "10.0.0.8").ok());
  t.Succeeded("jpn", "ali", "10.0.0.8");
  EXPECT_TRUE(t.Check("jpn", "ali", "10.0.0.9").ok());
}

}  // namespace
}  // namespace daulat::identity

namespace daulat::identity {
namespace {

// A guesser whose attempts a load balancer spreads over three nodes meets
// the waits and the lock of one count, not three.
TEST(SharedSignInThrottleTest, GuessesSpreadOverNodesMeetOneCount) {
  testing::ValkeyTestServer server;
  ManualClock clock(1000);
  std::vector<std::unique_ptr<store::Valkey>> clients;
  std::vector<std::unique_ptr<SharedSignInThrottle>> nodes;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::move(store::Valkey::Connect(server.url())).value());
    nodes.push_back(std::make_unique<SharedSignInThrottle>(*clients.back(), clock));
  }
  int tried = 0;
  std::string note;
  for (int i = 0; i < 30; ++i) {
    auto& node = *nodes[static_cast<size_t>(i % 3)];
    clock.Advance(61);
    if (!node.Check("jpn", "admin", "203.0.113.9").ok()) continue;
    ++tried;
    note = node.Failed("jpn", "admin", "203.0.113.9");
    if (note.find("locked") != std::string::npos) break;
  }
  EXPECT_EQ(tried, 10) << "locked after the 10th failure across the nodes";
  EXPECT_NE(note.find("account from this address locked for 900 s"), std::string::npos) << note;
  for (auto& node : nodes)
    EXPECT_EQ(node->Check("jpn", "admin", "203.0.113.9").code(), StatusCode::kResourceExhausted);
  // Parallel attempts on different nodes are held by one count too.
  int let_through = 0;
  for (int i = 0; i < 30; ++i) {
    if (nodes[static_cast<size_t>(i % 3)]->Check("jpn", "siti", "10.0.0." + std::to_string(i)).ok())
      ++let_through;
  }
  EXPECT_EQ(let_through, 10);
}

// While Valkey is down sign-ins are refused by default (a guesser gains
// nothing from an outage), or counted on the node when the operator chose
// that; afterwards the shared counts hold again.
TEST(SharedSignInThrottleTest, AnOutageRefusesOrCountsOnTheNode) {
  testing::ValkeyTestServer server;
  ManualClock clock(1000);
  store::ValkeyOptions quick;
  quick.retry_after = std::chrono::milliseconds(0);
  auto client = std::move(store::Valkey::Create(server.url(), quick)).value();
  SharedSignInThrottle refusing(*client, clock);
  SharedSignInThrottle local(*client, clock, {}, store::ValkeyOutage::kLocal);
  server.Stop();
  const Status st = refusing.Check("jpn", "ali", "10.0.0.1");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("sign-ins cannot be checked"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("127.0.0.1"), std::string::npos) << "nothing about Valkey";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(local.Check("jpn", "ali", "10.0.0.1").ok());
    local.Failed("jpn", "ali", "10.0.0.1");
  }
  ASSERT_TRUE(local.Check("jpn", "ali", "10.0.0.1").ok());
  EXPECT_NE(local.Failed("jpn", "ali", "10.0.0.1").find("next attempt in 1 s"), std::string::npos);
  EXPECT_EQ(local.Check("jpn", "ali", "10.0.0.1").code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(server.Start());
  EXPECT_TRUE(refusing.Check("jpn", "ali", "10.0.0.1").ok());
  refusing.Succeeded("jpn", "ali", "10.0.0.1");
}

}  // namespace
}  // namespace daulat::identity
