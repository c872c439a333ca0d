#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace daulat {

void InitLogging(const std::string& level) {
  auto logger = spdlog::get("daulat");
  if (!logger) logger = spdlog::stderr_color_mt("daulat");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

bool RepeatedFailure::Failed(const std::string& why) {
  ++failures_;
  ++unreported_;
  const auto now = std::chrono::steady_clock::now();
  if (failures_ == 1) {
    spdlog::error("{} failed: {}", what_, why);
  } else if (now - last_logged_ >= remind_every_) {
    spdlog::error("{} still failing ({} tries since the last report): {}", what_, unreported_, why);
  } else {
    return false;
  }
  last_logged_ = now;
  unreported_ = 0;
  return true;
}

void RepeatedFailure::Succeeded() {
  if (failures_ > 0) spdlog::warn("{} works again after {} failed tries", what_, failures_);
  failures_ = 0;
  unreported_ = 0;
}

}  // namespace daulat
