#include "common/base64.h"

#include <sodium.h>

#include <cstring>

namespace daulat {

std::string Base64(const void* data, size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), static_cast<const unsigned char*>(data), size,
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool Unbase64(std::string_view text, std::vector<uint8_t>& out) {
  out.assign(text.size(), 0);
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out.resize(len);
  return true;
}

}  // namespace daulat
