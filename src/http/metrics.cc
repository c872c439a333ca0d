#include "http/metrics.h"

#include <cstdio>

namespace daulat::http {

void RequestMetrics::Observe(const std::string& route, unsigned status, double seconds) {
  std::lock_guard lock(mu_);
  auto& h = by_route_[{route, status}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void RequestMetrics::AppendPrometheus(std::string& out) const {
  std::lock_guard lock(mu_);
  char line[512];
  out += "# HELP daulat_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE daulat_http_requests_total counter\n";
  for (const auto& [key, h] : by_route_) {
    std::snprintf(line, sizeof line,
                  "daulat_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                  key.first.c_str(), key.second, static_cast<unsigned long long>(h.count));
    out += line;
  }
  out += "# HELP daulat_http_request_duration_seconds Time to the complete response.\n";
  out += "# TYPE daulat_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : by_route_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(line, sizeof line,
                    "daulat_http_request_duration_seconds_bucket{route=\"%s\",status=\"%u\",le=\"%"
                    "g\"} %llu\n",
                    key.first.c_str(), key.second, kBuckets[i],
                    static_cast<unsigned long long>(h.buckets[i]));
      out += line;
    }
    std::snprintf(
        line, sizeof line,
        "daulat_http_request_duration_seconds_bucket{route=\"%s\",status=\"%u\",le=\"+Inf\"} %llu\n"
        "daulat_http_request_duration_seconds_sum{route=\"%s\",status=\"%u\"} %.6f\n"
        "daulat_http_request_duration_seconds_count{route=\"%s\",status=\"%u\"} %llu\n",
        key.first.c_str(), key.second, static_cast<unsigned long long>(h.count), key.first.c_str(),
        key.second, h.sum, key.first.c_str(), key.second, static_cast<unsigned long long>(h.count));
    out += line;
  }
}

}  // namespace daulat::http
