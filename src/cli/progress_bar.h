#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace daulat::cli {

// A one-line progress bar on stderr, drawn only when stderr is a terminal so
// that logs and pipes stay clean. Redraws at most ten times a second.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void Update(uint64_t done, uint64_t total);
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace daulat::cli
