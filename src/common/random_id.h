#pragma once

#include <string>

namespace daulat {

// `prefix` followed by 20 hex digits from the system's CSPRNG (80 bits):
// ids of stored objects ("doc_", "job_", "asm_") that cannot be guessed.
std::string NewId(const char* prefix);

}  // namespace daulat
