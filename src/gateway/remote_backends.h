#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "governance/egress_guard.h"

namespace daulat::gateway {

struct RemoteReply {
  unsigned status = 0;
  std::string body;
};

// Remote OpenAI-compatible engines (vLLM, NIM, llama-server inside the
// country) that serve some model names. Every connection goes through the
// egress guard first. Immutable after construction; thread-safe.
class RemoteBackends {
 public:
  RemoteBackends(const governance::EgressGuard& guard,
                 std::vector<governance::RemoteBackendConfig> configs)
      : guard_(guard), configs_(std::move(configs)) {}

  // The backend that serves `model`, or null.
  const governance::RemoteBackendConfig* ForModel(const std::string& model) const;
  const std::vector<governance::RemoteBackendConfig>& backends() const { return configs_; }

  // POSTs a JSON body to <backend url><path> ("/chat/completions") and
  // returns the reply, whatever its status; over TLS for an https URL (the
  // certificate verified and matched to the host name). Blocking: call off
  // the I/O threads. PERMISSION_DENIED when the egress guard refuses, before
  // or after DNS (nothing is sent), UNAVAILABLE when the backend cannot be
  // reached, fails the TLS checks or answers garbage, DEADLINE_EXCEEDED
  // after the backend's timeout.
  Result<RemoteReply> Post(const governance::RemoteBackendConfig& backend, const std::string& path,
                           const std::string& body) const;

 private:
  // The backend's addresses from DNS that the egress guard allows.
  Result<std::vector<boost::asio::ip::tcp::endpoint>> Resolve(
      const governance::RemoteBackendConfig& b, const governance::Endpoint& endpoint) const;

  const governance::EgressGuard& guard_;
  std::vector<governance::RemoteBackendConfig> configs_;
};

}  // namespace daulat::gateway
