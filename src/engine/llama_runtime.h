#pragma once

#include <llama.h>

namespace daulat::engine {

// Initialises libllama's backends once per process and routes its log output
// through our logger (errors kept, warnings and chatter at debug level). Safe to
// call from many threads; later calls are no-ops.
void EnsureLlamaRuntime();

// Flash attention for every generating context: off. This llama.cpp's CPU
// flash attention together with repacked Q4_K weights turns Qwen2.5's
// answers into noise (plain attention is correct and within 10% as fast on
// two cores): see docs/lumin.md.
inline constexpr llama_flash_attn_type kFlashAttention = LLAMA_FLASH_ATTN_TYPE_DISABLED;

}  // namespace daulat::engine
