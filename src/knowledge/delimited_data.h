#pragma once

#include <string>
#include <string_view>

namespace daulat::knowledge {

// A text to be placed between our <source> or <notes> tags: it can neither
// close nor open one. Any bracket a model may read as '<' (ASCII, full-width,
// small, '‹', '〈', '⟨', ...) before a name that reads as "source" or "notes"
// becomes "&lt;", whatever stands between them (spaces, slashes and their
// look-alikes, invisible characters) and however the name is spelt (any
// letter case, full-width letters, look-alike letters from other scripts,
// invisible characters or combining marks inside). Other text is unchanged.
std::string DelimitedData(std::string_view text);

}  // namespace daulat::knowledge
