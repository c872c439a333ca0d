#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace daulat::http {

// Request counts and latency histograms by route and status, rendered in the
// Prometheus text format. Thread-safe.
class RequestMetrics {
 public:
  void Observe(const std::string& route, unsigned status, double seconds);
  void AppendPrometheus(std::string& out) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, unsigned>, Histogram> by_route_;  // GUARDED_BY(mu_)
};

}  // namespace daulat::http
