#pragma once

// What every fuzz target shares: the input as text, the server's own way of
// reading a JSON body, and a loud stop when a property fails.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "common/json_depth.h"

namespace daulat::fuzz {

inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// As ApiServer reads a JSON body: refused when nested past kMaxJsonDepth or
// not JSON; never throws.
inline std::optional<nlohmann::json> JsonBody(std::string_view text) {
  if (JsonNestedDeeperThan(text)) return std::nullopt;
  auto body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

// A property the target checks does not hold: report and abort, which
// libFuzzer (and the replay driver, through ctest) counts as a crash.
[[noreturn]] inline void PropertyFailed(const char* what) {
  std::fprintf(stderr, "property failed: %s\n", what);
  std::abort();
}

// The first byte of an input as a choice among `n` things; the rest is the input.
inline size_t TakeChoice(const uint8_t*& data, size_t& size, size_t n) {
  if (size == 0 || n == 0) return 0;
  const size_t choice = data[0] % n;
  ++data;
  --size;
  return choice;
}

}  // namespace daulat::fuzz
