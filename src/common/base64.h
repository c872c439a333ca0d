#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace daulat {

// Standard base64 (RFC 4648, with padding): embeddings on /v1, checkpoint
// signatures and keys in the audit log.
std::string Base64(const void* data, size_t size);
// False (and `out` unspecified) for anything that is not padded standard base64.
bool Unbase64(std::string_view text, std::vector<uint8_t>& out);

}  // namespace daulat
