#pragma once

#include <spdlog/spdlog.h>

namespace daulat {

// Process-wide logging goes to stderr so stdout stays clean for answers and
// --json output. Levels: "error", "warn" (default), "info", "debug".
void InitLogging(const std::string& level);

}  // namespace daulat
