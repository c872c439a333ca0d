#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace daulat::engine {

// One normalisation rule: the UTF-8 bytes of an input sequence and what
// replaces it (may be empty, which deletes the input).
struct CharsmapRule {
  std::string from;
  std::string to;
};

// Builds SentencePiece's "precompiled charsmap", the normaliser that
// llama.cpp's unigram (UGM) tokenizer reads from
// tokenizer.ggml.precompiled_charsmap, so a model imported from another
// format normalises text the way it was trained. Layout: a little-endian u32
// byte size of the double array, the XOR-compressed double array (darts-clone
// units; llama.cpp finds the longest rule matching a prefix of the input by
// walking it), then the NUL-terminated replacement strings.
// INVALID_ARGUMENT for an empty or duplicate `from`, or a NUL byte anywhere.
Result<std::string> BuildPrecompiledCharsmap(const std::vector<CharsmapRule>& rules);

// The replacement for the longest rule matching a prefix of `text`, read
// back from a charsmap the way llama.cpp reads it: (bytes matched, replacement).
// (0, "") when no rule matches. For tests and for checking imported models.
std::pair<size_t, std::string> MatchCharsmap(const std::string& charsmap, const std::string& text);

}  // namespace daulat::engine
