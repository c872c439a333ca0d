#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

struct redisContext;

namespace daulat::store {

// Where a Valkey (or Redis) server is and how to sign in to it, from
// `redis://[[user]:password@]host[:port][/db]` (`valkey://` too). TLS
// (`rediss://`) is refused: the C client Debian ships (hiredis 0.14) has
// none, so Valkey is reached over a private network (docs/scale.md).
struct ValkeyAddress {
  std::string host;
  int port = 6379;
  std::string user;
  std::string password;
  int64_t db = 0;

  static Result<ValkeyAddress> Parse(const std::string& url);
  // host:port, for messages (never the password).
  std::string Name() const;
};

// What a node does with counts it keeps in Valkey (quotas, sign-in
// throttling) while Valkey cannot be reached.
enum class ValkeyOutage {
  kRefuse,  // refuse what cannot be counted: no limit is passed in an outage
  kLocal,   // each node counts alone, so a limit may be passed once per node
};

struct ValkeyOptions {
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
  // After a failed connection, calls fail at once for this long instead of
  // each waiting for its own connect timeout: a Valkey that is down costs
  // requests no latency.
  std::chrono::milliseconds retry_after{1000};
  size_t max_idle = 8;
};

// A reply: nil, an integer, a text (bulk or status) or an array of replies.
// Error replies come back as a Status instead.
struct ValkeyReply {
  enum class Type { kNil, kInteger, kText, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;
  std::vector<ValkeyReply> items;

  // The integer at `i` of an array (0 past its end).
  int64_t Integer(size_t i) const { return i < items.size() ? items[i].integer : 0; }
};

// Whether a script's reply is an array starting with at least `n` integers:
// anything else (a script error, a server that is not Valkey) is a fault,
// INTERNAL naming `what`, so that callers never take it for a count.
Status ExpectIntegers(const Result<ValkeyReply>& reply, size_t n, const std::string& what);

// A time in seconds as the scripts take it (to the microsecond).
std::string ValkeySeconds(double seconds);

// A client for one Valkey server with a small pool of connections. Every
// failure to reach the server (refused, timed out, lost mid-command) is
// UNAVAILABLE; an error reply is INTERNAL with the server's words. A command
// is never sent twice: one lost mid-way may or may not have run. Thread-safe.
class Valkey {
 public:
  // Connects once, so that a wrong address or password is reported now.
  static Result<std::unique_ptr<Valkey>> Connect(const std::string& url,
                                                 ValkeyOptions options = {});
  // Only checks the URL: connections are made when commands need them (a
  // node that starts while Valkey is down).
  static Result<std::unique_ptr<Valkey>> Create(const std::string& url, ValkeyOptions options = {});
  ~Valkey();
  Valkey(const Valkey&) = delete;
  Valkey& operator=(const Valkey&) = delete;

  Result<ValkeyReply> Command(const std::vector<std::string>& args);

  // Runs a Lua script atomically on the server (EVALSHA, loading the script
  // once per connection lifetime of the server: after a restart it is
  // loaded again).
  Result<ValkeyReply> Eval(const std::string& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args);

  const ValkeyAddress& address() const { return address_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  using Context = std::unique_ptr<redisContext, ContextDeleter>;
  Valkey(ValkeyAddress address, ValkeyOptions options)
      : address_(std::move(address)), options_(options) {}
  struct Idle {
    Context c;
    std::chrono::steady_clock::time_point since;
  };
  // A pooled connection idle longer than this is checked before it is used.
  static constexpr std::chrono::seconds kCheckIdleAfter{15};
  Result<Context> Open();
  Result<Context> Dial();
  Result<Context> Take();
  void Give(Context c);
  Result<ValkeyReply> Send(redisContext& c, const std::vector<std::string>& args);
  Status MarkDown(const std::string& why);
  Status DownLocked() const;

  ValkeyAddress address_;
  ValkeyOptions options_;
  mutable std::mutex mu_;
  std::vector<Idle> idle_;                   // GUARDED_BY(mu_)
  std::map<std::string, std::string> shas_;  // GUARDED_BY(mu_): script -> SHA-1
  bool down_ = false;                        // GUARDED_BY(mu_): the last try failed
  bool probing_ = false;                     // GUARDED_BY(mu_): a call is trying again
  int64_t down_until_ms_ = 0;                // GUARDED_BY(mu_): steady clock
  std::string last_error_;                   // GUARDED_BY(mu_)
};

}  // namespace daulat::store
