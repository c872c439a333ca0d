#include "governance/query_fingerprint.h"

#include <sodium.h>

#include <array>
#include <string>

#include "common/sha256.h"

namespace daulat::governance {
namespace {

constexpr std::string_view kContext = "daulat search-query fingerprints v1";

}  // namespace

QueryFingerprints::QueryFingerprints(std::string_view server_secret) {
  // Keyed BLAKE2b with a context of its own: the secret's other uses (it may
  // be the audit signing seed) never meet these hashes.
  crypto_generichash(master_.data(), master_.size(),
                     reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size(),
                     reinterpret_cast<const unsigned char*>(server_secret.data()),
                     server_secret.size());
}

std::string QueryFingerprints::Of(std::string_view tenant_id, std::string_view query) const {
  std::array<unsigned char, 32> tenant_key{};
  crypto_generichash(tenant_key.data(), tenant_key.size(),
                     reinterpret_cast<const unsigned char*>(tenant_id.data()), tenant_id.size(),
                     master_.data(), master_.size());
  std::array<unsigned char, 16> mac{};
  crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(query.data()),
                     query.size(), tenant_key.data(), tenant_key.size());
  return "hmac:" + HexEncode(mac.data(), mac.size());
}

}  // namespace daulat::governance
