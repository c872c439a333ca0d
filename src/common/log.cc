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

}  // namespace daulat
