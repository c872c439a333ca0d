#include "common/sha256.h"

#include <sodium.h>

#include <array>
#include <fstream>
#include <vector>

namespace daulat {

std::string HexEncode(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  return HexEncode(digest.data(), digest.size());
}

Result<std::string> Sha256File(const std::filesystem::path& path, const HashProgress& progress) {
  std::error_code ec;
  const auto total = std::filesystem::file_size(path, ec);
  if (ec) return NotFound("cannot read '" + path.string() + "': " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path.string() + "'");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()), n);
    done += n;
    if (progress && !progress(done, total)) return Cancelled("hashing cancelled");
  }
  if (in.bad()) return Internal("read error while hashing '" + path.string() + "'");
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&state, digest.data());
  return HexEncode(digest.data(), digest.size());
}

}  // namespace daulat
