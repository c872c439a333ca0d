#pragma once

#include <chrono>
#include <cstdint>

namespace daulat {

// Wall-clock time for the defaults of injectable clocks (identity, policy,
// quotas, content log). Tests pass their own clock instead.
inline int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline double UnixSecondsFractional() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace daulat
