#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "knowledge/document_parser.h"

namespace daulat::knowledge {

// A retrievable piece of a document, with where it came from.
struct Chunk {
  std::string text;
  std::string heading_path;  // "Garis Panduan > Yuran"
  int page = 0;
  size_t char_start = 0;  // Unicode code points into DocumentText(), end exclusive
  size_t char_end = 0;
  size_t tokens = 0;
};

struct ChunkOptions {
  size_t target_tokens = 256;  // a chunk holds at most this many (one over-long sentence aside)
  size_t overlap_tokens = 32;  // the end of a chunk is repeated at the start of the next
  // Counts tokens the way the embedding/answering model will; the default
  // estimates from whitespace-separated words.
  std::function<size_t(std::string_view)> count_tokens;
};

// The document's text as offsets refer to it: blocks joined by blank lines.
std::string DocumentText(const ParsedDocument& doc);

// Splits a document along its structure: a chunk never crosses a heading or
// a page; paragraphs and table rows are packed up to the target size, and a
// paragraph longer than that is split at sentence (then word) boundaries.
// Deterministic.
std::vector<Chunk> ChunkDocument(const ParsedDocument& doc, const ChunkOptions& options = {});

}  // namespace daulat::knowledge
