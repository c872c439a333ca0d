#pragma once

#include <array>
#include <string>
#include <string_view>

namespace daulat::governance {

// What the audit log keeps of a search query: a keyed hash, one key per
// tenant. Auditors can see that two searches asked the same thing; nobody
// without the server's secret can test guesses against it, as anyone could
// against a bare SHA-256 ("sha256 of 'Operasi Helang'?"). The tenant keys
// derive from a 32-byte server secret, which is never kept here.
// Immutable; thread-safe.
class QueryFingerprints {
 public:
  explicit QueryFingerprints(std::string_view server_secret);
  // "hmac:" and 32 hex digits.
  std::string Of(std::string_view tenant_id, std::string_view query) const;

 private:
  std::array<unsigned char, 32> master_{};
};

}  // namespace daulat::governance
