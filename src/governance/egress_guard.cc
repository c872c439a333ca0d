#include "governance/egress_guard.h"

#include <algorithm>

namespace daulat::governance {

Result<Endpoint> ParseBackendUrl(const std::string& url) {
  constexpr std::string_view kHttp = "http://";
  if (url.rfind("https://", 0) == 0)
    return InvalidArgument("backend url " + url +
                           ": https is not supported yet; terminate TLS on a local proxy");
  if (url.rfind(kHttp, 0) != 0) return InvalidArgument("backend url must start with http://");
  const std::string rest = url.substr(kHttp.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Endpoint e;
  e.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  if (authority.empty() || authority.find('@') != std::string::npos ||
      rest.find('#') != std::string::npos || rest.find('?') != std::string::npos)
    return InvalidArgument("backend url " + url + " must be http://host[:port][/path]");
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    e.host = authority.substr(0, colon);
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
      return InvalidArgument("backend url " + url + " has a bad port");
    e.port = static_cast<uint16_t>(std::stoi(port));
  } else {
    e.host = authority;
  }
  if (e.host.empty()) return InvalidArgument("backend url " + url + " has no host");
  return e;
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

}  // namespace daulat::governance
