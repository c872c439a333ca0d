#include "knowledge/vector_backfill.h"

#include <chrono>

namespace daulat::knowledge {

VectorBackfill::VectorBackfill(Library& library, std::vector<std::string> tenants, Report report)
    : library_(library),
      report_(std::move(report)),
      thread_([this, t = std::move(tenants)] { Run(t); }) {}

VectorBackfill::~VectorBackfill() {
  Stop();
}

void VectorBackfill::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void VectorBackfill::Run(const std::vector<std::string>& tenants) {
  using Clock = std::chrono::steady_clock;
  for (const auto& tenant : tenants) {
    if (stop_) break;
    BackfillProgress p{tenant, 0, 0, false, ""};
    auto last = Clock::now();
    auto added = library_.AddMissingVectors(
        tenant,
        [&](size_t done, size_t total) {
          p.done = done;
          p.total = total;
          if (Clock::now() - last < std::chrono::seconds(1) || !report_) return;
          last = Clock::now();
          report_(p);
        },
        &stop_);
    if (!added.ok() && added.status().code() == StatusCode::kCancelled) break;
    p.finished = true;
    if (!added.ok()) p.error = added.status().ToString();
    // Quiet for tenants that had nothing to embed.
    if (report_ && (p.total > 0 || !p.error.empty())) report_(p);
  }
  finished_ = true;
}

}  // namespace daulat::knowledge
