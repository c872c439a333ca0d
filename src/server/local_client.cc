#include "server/local_client.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <optional>
#include <string>

#include "common/text_list.h"

namespace daulat::server {
namespace {

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The name or address in a Host header, lowercased, without its port or
// brackets; nullopt when the header is malformed.
std::optional<std::string> HostName(std::string_view host) {
  std::string h = AsciiLower(host);
  if (h.empty()) return std::nullopt;
  if (h.front() == '[') {  // [v6]:port
    const size_t close = h.find(']');
    if (close == std::string::npos) return std::nullopt;
    const std::string rest = h.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !IsPort(rest.substr(1)))) return std::nullopt;
    return h.substr(1, close - 1);
  }
  if (std::count(h.begin(), h.end(), ':') > 1)
    return std::nullopt;  // an IPv6 address in a Host header is bracketed
  if (const size_t colon = h.rfind(':'); colon != std::string::npos) {
    if (!IsPort(std::string_view(h).substr(colon + 1))) return std::nullopt;
    h.resize(colon);
  }
  return h;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  const auto h = HostName(host);
  if (!h) return false;
  if (*h == "localhost" || *h == "localhost.") return true;
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(*h, ec);
  return !ec && a.is_loopback();
}

bool IsAddressHost(std::string_view host) {
  if (IsLoopbackHost(host)) return true;
  const auto h = HostName(host);
  if (!h) return false;
  boost::system::error_code ec;
  boost::asio::ip::make_address(*h, ec);
  return !ec;
}

bool FromBrowser(const Request& request) {
  return request.find(boost::beast::http::field::origin) != request.end() ||
         request.find("Sec-Fetch-Site") != request.end() ||
         request.find("Sec-Fetch-Mode") != request.end();
}

bool IsLoopbackOrigin(std::string_view origin) {
  const std::string o = AsciiLower(origin);
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (o.rfind(scheme, 0) == 0) {
      const std::string rest = o.substr(scheme.size());
      return rest.find('/') == std::string::npos && IsLoopbackHost(rest);
    }
  }
  return false;
}

bool FromLocalClient(const Request& request, const Responder& responder) {
  if (!responder.peer_is_loopback()) return false;
  const auto host = request.find(boost::beast::http::field::host);
  if (host == request.end() ||
      !IsLoopbackHost(std::string_view(host->value().data(), host->value().size())))
    return false;
  const auto origin = request.find(boost::beast::http::field::origin);
  return origin == request.end() ||
         IsLoopbackOrigin(std::string_view(origin->value().data(), origin->value().size()));
}

}  // namespace daulat::server
