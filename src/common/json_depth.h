#pragma once

#include <cstddef>
#include <string_view>

namespace daulat {

// The deepest any body from outside may nest arrays and objects. Parsing,
// copying and freeing a JSON value recurse once per level: a body nested
// 60,000 deep would overflow the stack and take the process down.
inline constexpr size_t kMaxJsonDepth = 64;

// Whether `text` nests arrays and objects deeper than `limit`, by a scan of
// its brackets outside strings (no parse, no recursion): call before parsing
// untrusted JSON.
bool JsonNestedDeeperThan(std::string_view text, size_t limit = kMaxJsonDepth);

}  // namespace daulat
