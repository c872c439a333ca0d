#pragma once

#include <string>
#include <string_view>

namespace daulat {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. JSON output and SQLite text need it; file names, titles and
// remote engines' replies do not always have it.
bool IsValidUtf8(std::string_view text);

// `text` with every byte that is not part of a valid sequence replaced by
// U+FFFD, so it can be shown and stored.
std::string ValidUtf8(std::string_view text);

// The UTF-8 bytes of one code point; U+FFFD for a surrogate or a value past U+10FFFF.
std::string Utf8Encode(char32_t code_point);

// The longest prefix of valid UTF-8 `text` of at most `max_bytes` bytes that
// ends on a character boundary.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

}  // namespace daulat
