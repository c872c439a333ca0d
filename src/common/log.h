#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace daulat {

// Process-wide logging goes to stderr so stdout stays clean for answers and
// --json output. Levels: "error", "warn" (default), "info", "debug".
void InitLogging(const std::string& level);

// Reports a failure that a background loop meets on every try (a database
// or a cache that is down): the first failure, then a reminder at most once
// per `remind_every` with how many tries failed since, and the recovery.
// A loop retrying each second for a day must not fill the disk with the
// same line. Thread-compatible: one loop owns one reporter.
class RepeatedFailure {
 public:
  explicit RepeatedFailure(std::string what,
                           std::chrono::seconds remind_every = std::chrono::seconds(60))
      : what_(std::move(what)), remind_every_(remind_every) {}

  // Returns whether this failure was logged.
  bool Failed(const std::string& why);
  void Succeeded();
  int64_t failures() const { return failures_; }

 private:
  std::string what_;
  std::chrono::seconds remind_every_;
  int64_t failures_ = 0;    // since the last success
  int64_t unreported_ = 0;  // since the last line logged
  std::chrono::steady_clock::time_point last_logged_;
};

}  // namespace daulat
