#include "common/random_id.h"

#include <sodium.h>

namespace daulat {

std::string NewId(const char* prefix) {
  unsigned char raw[10];
  randombytes_buf(raw, sizeof raw);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = prefix;
  for (const unsigned char b : raw) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

}  // namespace daulat
