#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace daulat {

// Lower-case hex of `n` bytes.
std::string HexEncode(const unsigned char* bytes, size_t n);

// Lower-case hex SHA-256 of a byte string.
std::string Sha256Hex(std::string_view data);

// Streams a file through SHA-256. `progress`, if set, is called with
// (bytes_done, bytes_total) after each block; returning false cancels.
// Errors: NOT_FOUND if the file is missing, INTERNAL on read failure,
// CANCELLED if progress returned false.
using HashProgress = std::function<bool(uint64_t done, uint64_t total)>;
Result<std::string> Sha256File(const std::filesystem::path& path,
                               const HashProgress& progress = nullptr);

}  // namespace daulat
