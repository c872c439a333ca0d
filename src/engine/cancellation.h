#pragma once

#include <atomic>

namespace daulat::engine {

// Set from any thread (a signal handler, an HTTP disconnect) to stop work in
// progress. Generation checks it between tokens and inside llama_decode, so a
// cancel takes effect within one forward pass. Lock-free; never reset.
class CancellationToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace daulat::engine
