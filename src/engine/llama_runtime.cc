#include "engine/llama_runtime.h"

#include <llama.h>

#include <mutex>
#include <string>

#include "common/log.h"

namespace daulat::engine {
namespace {

void ForwardLlamaLog(ggml_log_level level, const char* text, void* /*user*/) {
  static thread_local std::string line;
  line += text;
  if (line.empty() || line.back() != '\n') return;
  line.pop_back();
  switch (level) {
    case GGML_LOG_LEVEL_ERROR: spdlog::error("llama: {}", line); break;
    default: spdlog::debug("llama: {}", line); break;
  }
  line.clear();
}

}  // namespace

void EnsureLlamaRuntime() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(ForwardLlamaLog, nullptr);
    llama_backend_init();
  });
}

}  // namespace daulat::engine
