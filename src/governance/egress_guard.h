#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/status.h"

namespace daulat::governance {

// A remote OpenAI-compatible engine an operator configured: where it is
// (jurisdiction, an ISO 3166 code such as "MY") and the highest
// classification it may process (DESIGN.md: remote backends default to TERBUKA).
struct RemoteBackendConfig {
  std::string name;
  std::string url;  // "http://host:port/v1" (the OpenAI base URL)
  std::string jurisdiction;
  Classification max_classification = Classification::kTerbuka;
  std::vector<std::string> models;  // model names served through it
  std::string api_key_env;          // environment variable holding its bearer key, if any
  int64_t timeout_seconds = 120;
  // Where its host name may resolve to ("10.20.0.0/16", "fd00:20::/32"):
  // required for a host name, so a poisoned or rebound DNS answer cannot
  // send prompts elsewhere. An IP address in the URL is its own list;
  // "localhost" means loopback.
  std::vector<std::string> addresses;
  std::string ca_file;  // https: PEM certificates to trust instead of the system's
};

// "http[s]://host:port/path" split up; INVALID_ARGUMENT for anything else
// (no userinfo, no query, no fragment). An IPv6 host is written in brackets
// and returned without them.
struct Endpoint {
  std::string host;
  uint16_t port = 80;
  std::string base_path;  // "/v1"
  bool tls = false;       // https: the server's certificate is verified
};
Result<Endpoint> ParseBackendUrl(const std::string& url);

// A backend's address list parses (each an address or a network in CIDR
// form, no host bits set), and a backend named by host name has one.
Status CheckBackendAddresses(const RemoteBackendConfig& backend);

// The only door out of the process. Every outbound connection asks it first:
// allowed only to a configured backend whose jurisdiction is in the
// operator's allow-list, and only to the host and port configured for it.
// Everything else is refused with a reason (the caller audits it).
// Immutable after construction; thread-safe.
class EgressGuard {
 public:
  EgressGuard(std::vector<std::string> allowed_jurisdictions,
              std::vector<RemoteBackendConfig> backends);
  // OK, or PERMISSION_DENIED saying why the connection may not be made.
  Status Check(const std::string& backend, const std::string& host, uint16_t port) const;
  // After DNS, before connecting: OK when `address` (as resolved) is one the
  // backend may be reached at (CheckBackendAddresses' rules); PERMISSION_DENIED
  // naming the address otherwise.
  Status CheckResolved(const std::string& backend, const std::string& address) const;
  const std::vector<std::string>& allowed_jurisdictions() const { return allowed_; }

 private:
  std::vector<std::string> allowed_;
  std::vector<RemoteBackendConfig> backends_;
};

}  // namespace daulat::governance
