#include "governance/egress_guard.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <optional>

#include "common/text_list.h"

namespace daulat::governance {
namespace {

namespace ip = boost::asio::ip;

std::optional<ip::address> ParseAddress(const std::string& text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// One entry of a backend's address list: an address, or a network in CIDR
// form with no host bits set.
struct AddressRange {
  ip::address first;
  unsigned prefix = 0;  // bits that must match
};
std::optional<AddressRange> ParseRange(const std::string& text) {
  const size_t slash = text.find('/');
  const auto a = ParseAddress(text.substr(0, slash));
  if (!a) return std::nullopt;
  const unsigned width = a->is_v4() ? 32 : 128;
  if (slash == std::string::npos) return AddressRange{*a, width};
  const std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const auto prefix = static_cast<unsigned>(std::stoi(bits));
  if (prefix > width) return std::nullopt;
  if (a->is_v4()) {
    const auto n = ip::make_network_v4(a->to_v4(), static_cast<unsigned short>(prefix));
    if (n.canonical() != n) return std::nullopt;
  } else {
    const auto n = ip::make_network_v6(a->to_v6(), static_cast<unsigned short>(prefix));
    if (n.canonical() != n) return std::nullopt;
  }
  return AddressRange{*a, prefix};
}

bool Contains(const AddressRange& r, const ip::address& a) {
  if (r.first.is_v4() != a.is_v4()) return false;
  if (a.is_v4()) {
    const auto n = ip::make_network_v4(a.to_v4(), static_cast<unsigned short>(r.prefix));
    return n.canonical().network() == r.first.to_v4();
  }
  const auto n = ip::make_network_v6(a.to_v6(), static_cast<unsigned short>(r.prefix));
  return n.canonical().network() == r.first.to_v6();
}

bool IsLocalhostName(const std::string& host) {
  const std::string h = AsciiLower(host);
  return h == "localhost" || h == "localhost.";
}

// The addresses a backend may be reached at, from its list, its URL's IP
// address, or "localhost"; nullopt when it has none (a host name unlisted).
std::optional<std::vector<AddressRange>> AllowedRanges(const RemoteBackendConfig& b) {
  std::vector<AddressRange> out;
  for (const auto& text : b.addresses) {
    auto r = ParseRange(text);
    if (!r) return std::nullopt;
    out.push_back(*r);
  }
  if (!out.empty()) return out;
  auto endpoint = ParseBackendUrl(b.url);
  if (!endpoint.ok()) return std::nullopt;
  if (const auto literal = ParseAddress(endpoint->host))
    return std::vector<AddressRange>{{*literal, literal->is_v4() ? 32u : 128u}};
  if (IsLocalhostName(endpoint->host))
    return std::vector<AddressRange>{{ip::make_address("127.0.0.0"), 8},
                                     {ip::make_address("::1"), 128}};
  return std::nullopt;
}

}  // namespace

Result<Endpoint> ParseBackendUrl(const std::string& url) {
  Endpoint e;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    e.tls = true;
    e.port = 443;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return InvalidArgument("backend url must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  e.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  if (authority.empty() || authority.find('@') != std::string::npos ||
      rest.find('#') != std::string::npos || rest.find('?') != std::string::npos)
    return InvalidArgument("backend url " + url + " must be http://host[:port][/path]");
  // "[v6]:port", "[v6]", "host:port", "host".
  const size_t close = authority.front() == '[' ? authority.find(']') : std::string::npos;
  if (authority.front() == '[' && close == std::string::npos)
    return InvalidArgument("backend url " + url + " has an unclosed '['");
  const size_t colon = authority.find(':', close == std::string::npos ? 0 : close);
  e.host = close != std::string::npos ? authority.substr(1, close - 1) : authority.substr(0, colon);
  if (close != std::string::npos && close + 1 < authority.size() && colon != close + 1)
    return InvalidArgument("backend url " + url + " must be http://host[:port][/path]");
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
      return InvalidArgument("backend url " + url + " has a bad port");
    e.port = static_cast<uint16_t>(std::stoi(port));
  }
  if (e.host.empty()) return InvalidArgument("backend url " + url + " has no host");
  return e;
}

Status CheckBackendAddresses(const RemoteBackendConfig& b) {
  for (const auto& text : b.addresses) {
    if (!ParseRange(text))
      return InvalidArgument("backend '" + b.name + "': addresses entry \"" + text +
                             "\" is not an address or a network such as \"10.20.0.0/16\" (no "
                             "host bits set)");
  }
  if (!AllowedRanges(b))
    return InvalidArgument("backend '" + b.name + "' is named by host name in " + b.url +
                           ": list the addresses it may resolve to (addresses = "
                           "[\"10.20.0.0/16\"]), so a DNS answer cannot send prompts elsewhere");
  return Status::Ok();
}

EgressGuard::EgressGuard(std::vector<std::string> allowed_jurisdictions,
                         std::vector<RemoteBackendConfig> backends)
    : allowed_(std::move(allowed_jurisdictions)), backends_(std::move(backends)) {}

Status EgressGuard::Check(const std::string& backend, const std::string& host,
                          uint16_t port) const {
  const auto b = std::find_if(backends_.begin(), backends_.end(),
                              [&](const RemoteBackendConfig& c) { return c.name == backend; });
  if (b == backends_.end())
    return PermissionDenied("egress to " + host + ":" + std::to_string(port) +
                            " refused: not a configured backend");
  if (std::find(allowed_.begin(), allowed_.end(), b->jurisdiction) == allowed_.end()) {
    std::string list;
    for (const auto& j : allowed_) list += (list.empty() ? "" : ", ") + j;
    return PermissionDenied("egress to backend '" + backend + "' refused: its jurisdiction " +
                            b->jurisdiction +
                            " is not allowed (allowed: " + (list.empty() ? "none" : list) + ")");
  }
  auto endpoint = ParseBackendUrl(b->url);
  if (!endpoint.ok() || endpoint->host != host || endpoint->port != port)
    return PermissionDenied("egress to " + host + ":" + std::to_string(port) +
                            " refused: not the address configured for backend '" + backend + "'");
  return Status::Ok();
}

Status EgressGuard::CheckResolved(const std::string& backend, const std::string& address) const {
  const auto b = std::find_if(backends_.begin(), backends_.end(),
                              [&](const RemoteBackendConfig& c) { return c.name == backend; });
  if (b == backends_.end())
    return PermissionDenied("egress to " + address + " refused: not a configured backend");
  const auto a = ParseAddress(address);
  const auto ranges = AllowedRanges(*b);
  if (a && ranges &&
      std::any_of(ranges->begin(), ranges->end(), [&](const auto& r) { return Contains(r, *a); }))
    return Status::Ok();
  return PermissionDenied("egress to backend '" + backend + "' refused: its name resolved to " +
                          address + ", which is not among the addresses configured for it");
}

}  // namespace daulat::governance
