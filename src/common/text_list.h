#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daulat {

// "a, b,,c " -> {"a", "b", "c"}: items split on `separator`, spaces around
// each trimmed, empty ones dropped. For lists in form fields and query
// parameters.
std::vector<std::string> SplitList(std::string_view text, char separator = ',');

// `text` with ASCII letters lower-cased (header names, hosts, media types);
// other bytes, UTF-8 included, unchanged.
std::string AsciiLower(std::string_view text);

}  // namespace daulat
