#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
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

// The one clock injected into everything that stamps, expires or counts per
// day: identity (keys, sessions), policy versions, quotas, usage, the content
// log, the audit log and the scheduler's request deadlines. Production uses
// SystemClock(); tests a ManualClock that moves only when told, so expiry,
// quotas, retention and deadlines are tested without sleeping.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() const = 0;  // unix seconds, fractional
  // Seconds on a clock that never jumps back (the system's steady clock):
  // what deadlines are measured on, so that setting the time moves none.
  virtual double Monotonic() const = 0;
  int64_t Seconds() const { return static_cast<int64_t>(std::floor(Now())); }
};

class SystemClockImpl final : public Clock {
 public:
  double Now() const override { return UnixSecondsFractional(); }
  double Monotonic() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};
// The system's wall clock; lives for the whole program.
inline const Clock& SystemClock() {
  static const SystemClockImpl clock;
  return clock;
}

class ManualClock final : public Clock {
 public:
  explicit ManualClock(double now) : now_(now) {}
  double Now() const override { return now_.load(); }
  double Monotonic() const override { return now_.load(); }
  void Set(double now) { now_.store(now); }
  void Advance(double seconds) { now_.store(now_.load() + seconds); }

 private:
  std::atomic<double> now_;
};

// A unix time in UTC, written with strftime's `format` (under 32 bytes).
inline std::string FormatUtc(int64_t unix_seconds, const char* format) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// "2026-11-29": the UTC calendar day of a unix time (usage days, reports).
inline std::string UtcDay(int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%Y-%m-%d");
}

// "2026-11-29T08:30:00Z": a unix time in UTC, ISO 8601 to the second.
inline std::string UtcTimestamp(int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace daulat
