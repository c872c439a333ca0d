#include "store/valkey.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cctype>
#include <charconv>
#include <cstdio>

namespace daulat::store {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool ParseNumber(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end;
}

// Percent-escapes in the user and password of a URL.
Result<std::string> Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned value = 0;  // unsigned: "%-1" is no escape
    if (i + 2 >= s.size()) return InvalidArgument("bad %-escape");
    const auto* first = s.data() + i + 1;
    auto [p, ec] = std::from_chars(first, first + 2, value, 16);
    if (ec != std::errc() || p != first + 2) return InvalidArgument("bad %-escape");
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

ValkeyReply FromHiredis(const redisReply& r) {
  ValkeyReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = ValkeyReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = ValkeyReply::Type::kText;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = ValkeyReply::Type::kArray;
      for (size_t i = 0; i < r.elements; ++i) out.items.push_back(FromHiredis(*r.element[i]));
      break;
    default: break;
  }
  return out;
}

}  // namespace

Status ExpectIntegers(const Result<ValkeyReply>& reply, size_t n, const std::string& what) {
  if (!reply.ok()) return reply.status();
  bool ok = reply->type == ValkeyReply::Type::kArray && reply->items.size() >= n;
  for (size_t i = 0; ok && i < n; ++i) ok = reply->items[i].type == ValkeyReply::Type::kInteger;
  return ok ? Status::Ok() : Internal("Valkey answered " + what + " with an unexpected reply");
}

std::string ValkeySeconds(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6f", seconds);
  return text;
}

Result<ValkeyAddress> ValkeyAddress::Parse(const std::string& url) {
  const auto bad = [](const std::string& why) {
    return InvalidArgument("the Valkey URL is not redis://[[user]:password@]host[:port][/db]: " +
                           why);
  };
  std::string_view rest(url);
  if (rest.starts_with("rediss://") || rest.starts_with("valkeys://"))
    return InvalidArgument(
        "TLS to Valkey (rediss://) is not supported by this build's client (hiredis 0.14); reach "
        "Valkey over a private network or through a TLS tunnel (docs/scale.md)");
  if (rest.starts_with("redis://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("valkey://")) {
    rest.remove_prefix(9);
  } else {
    return bad("it must start with redis:// or valkey://");
  }
  ValkeyAddress a;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    auto user = Unescape(userinfo.substr(0, colon));
    if (!user.ok()) return bad("a bad %-escape in the user");
    a.user = *user;
    if (colon != std::string_view::npos) {
      auto password = Unescape(userinfo.substr(colon + 1));
      if (!password.ok()) return bad("a bad %-escape in the password");
      a.password = *password;
    }
    if (!a.user.empty() && a.password.empty()) return bad("a user needs a password");
  }
  std::string_view hostport = rest.substr(0, rest.find('/'));
  const std::string_view path =
      rest.size() > hostport.size() ? rest.substr(hostport.size() + 1) : std::string_view();
  if (!path.empty() && (!ParseNumber(path, a.db) || a.db < 0 || a.db > 1000000))
    return bad("the database after / is a number");
  if (hostport.starts_with('[')) {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address needs its ]");
    a.host = std::string(hostport.substr(1, close - 1));
    hostport.remove_prefix(close + 1);
    if (!hostport.empty() && !hostport.starts_with(':')) return bad("junk after the address");
  } else {
    const auto colon = hostport.find(':');
    a.host = std::string(hostport.substr(0, colon));
    hostport.remove_prefix(colon == std::string_view::npos ? hostport.size() : colon);
  }
  if (!hostport.empty()) {
    int64_t port = 0;
    if (!ParseNumber(hostport.substr(1), port) || port < 1 || port > 65535)
      return bad("the port is 1-65535");
    a.port = static_cast<int>(port);
  }
  if (a.host.empty()) return bad("no host");
  for (const char c : a.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '_')
      return bad("the host has a character a host name cannot have");
  }
  return a;
}

std::string ValkeyAddress::Name() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

void Valkey::ContextDeleter::operator()(redisContext* c) const {
  redisFree(c);
}

Result<std::unique_ptr<Valkey>> Valkey::Create(const std::string& url, ValkeyOptions options) {
  auto address = ValkeyAddress::Parse(url);
  if (!address.ok()) return address.status();
  return std::unique_ptr<Valkey>(new Valkey(std::move(address).value(), options));
}

Result<std::unique_ptr<Valkey>> Valkey::Connect(const std::string& url, ValkeyOptions options) {
  auto client = Create(url, options);
  if (!client.ok()) return client.status();
  auto first = (*client)->Open();
  if (!first.ok()) return first.status();
  (*client)->Give(std::move(first).value());
  return client;
}

Valkey::~Valkey() = default;

Status Valkey::DownLocked() const {
  return Unavailable("Valkey at " + address_.Name() + " cannot be reached (" + last_error_ +
                     "); trying again shortly");
}

Status Valkey::MarkDown(const std::string& why) {
  std::lock_guard lock(mu_);
  down_ = true;
  down_until_ms_ = SteadyMs() + options_.retry_after.count();
  last_error_ = why;
  idle_.clear();  // they met the same fault, or soon will
  return Unavailable("Valkey at " + address_.Name() + " cannot be reached: " + why);
}

Result<Valkey::Context> Valkey::Open() {
  {
    // While Valkey is down one caller at a time finds out whether it is
    // back; the others fail at once instead of each waiting on it.
    std::lock_guard lock(mu_);
    if (down_) {
      if (SteadyMs() < down_until_ms_ || probing_) return DownLocked();
      probing_ = true;
    }
  }
  auto c = Dial();
  std::lock_guard lock(mu_);
  probing_ = false;
  if (c.ok()) down_ = false;
  return c;
}

Result<Valkey::Context> Valkey::Dial() {
  Context c(redisConnectWithTimeout(address_.host.c_str(), address_.port,
                                    ToTimeval(options_.connect_timeout)));
  if (!c) return MarkDown("out of memory");
  if (c->err != 0) return MarkDown(c->errstr);
  if (redisSetTimeout(c.get(), ToTimeval(options_.command_timeout)) != REDIS_OK ||
      redisEnableKeepAlive(c.get()) != REDIS_OK)
    return MarkDown(c->errstr);
  if (!address_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!address_.user.empty()) auth.push_back(address_.user);
    auth.push_back(address_.password);
    auto r = Send(*c, auth);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kUnavailable) return MarkDown(r.status().message());
      // Not a network fault: the operator's password (or user) is wrong.
      // Not tried again at once by every request either.
      (void)MarkDown("the password was refused");
      return PermissionDenied("Valkey at " + address_.Name() + " refused the password");
    }
  }
  if (address_.db != 0) {
    auto r = Send(*c, {"SELECT", std::to_string(address_.db)});
    if (!r.ok()) {
      Status down = MarkDown(r.status().message());
      return r.status().code() == StatusCode::kUnavailable ? down : r.status();
    }
  }
  return c;
}

Result<Valkey::Context> Valkey::Take() {
  Context stale;
  {
    std::lock_guard lock(mu_);
    if (down_ && (SteadyMs() < down_until_ms_ || probing_)) return DownLocked();
    if (!idle_.empty()) {
      Idle last = std::move(idle_.back());
      idle_.pop_back();
      if (std::chrono::steady_clock::now() - last.since < kCheckIdleAfter) return std::move(last.c);
      stale = std::move(last.c);
    }
  }
  // Idle for a while: Valkey (its idle timeout), a restart or a firewall may
  // have closed it. A PING finds out without sending anything that counts.
  if (stale && Send(*stale, {"PING"}).ok()) return stale;
  return Open();
}

void Valkey::Give(Context c) {
  std::lock_guard lock(mu_);
  if (idle_.size() < options_.max_idle)
    idle_.push_back({std::move(c), std::chrono::steady_clock::now()});
}

Result<ValkeyReply> Valkey::Send(redisContext& c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(&c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (raw == nullptr) {
    return Unavailable("Valkey at " + address_.Name() + " did not answer: " +
                       (c.err != 0 ? std::string(c.errstr) : std::string("no reply")));
  }
  std::unique_ptr<redisReply, void (*)(void*)> reply(raw, freeReplyObject);
  if (reply->type == REDIS_REPLY_ERROR)
    return Internal("Valkey: " + std::string(reply->str, reply->len));
  return FromHiredis(*reply);
}

Result<ValkeyReply> Valkey::Command(const std::vector<std::string>& args) {
  auto c = Take();
  if (!c.ok()) return c.status();
  auto r = Send(**c, args);
  if (r.ok() || r.status().code() != StatusCode::kUnavailable) {
    Give(std::move(c).value());
    return r;
  }
  // A connection that failed mid-command may hold half a reply: never
  // reused. Calls in the next moment fail at once rather than each waiting
  // out its own timeout.
  (void)MarkDown(r.status().message());
  return r;
}

Result<ValkeyReply> Valkey::Eval(const std::string& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args) {
  std::string sha;
  {
    std::lock_guard lock(mu_);
    if (auto it = shas_.find(script); it != shas_.end()) sha = it->second;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (sha.empty()) {
      auto loaded = Command({"SCRIPT", "LOAD", script});
      if (!loaded.ok()) return loaded.status();
      sha = loaded->text;
      std::lock_guard lock(mu_);
      shas_[script] = sha;
    }
    std::vector<std::string> command = {"EVALSHA", sha, std::to_string(keys.size())};
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    auto r = Command(command);
    // A restarted server forgot its scripts; the script did not run.
    if (!r.ok() && r.status().message().find("NOSCRIPT") != std::string::npos) {
      sha.clear();
      continue;
    }
    return r;
  }
  return Internal("Valkey at " + address_.Name() + " keeps forgetting its scripts");
}

}  // namespace daulat::store
