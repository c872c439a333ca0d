#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

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

// "2026-11-29": the UTC calendar day of a unix time (usage days, reports).
inline std::string UtcDay(int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace daulat
