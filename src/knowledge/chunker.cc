#include "knowledge/chunker.h"

#include <algorithm>

namespace daulat::knowledge {
namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

size_t EstimateTokens(std::string_view s) {
  size_t words = 0;
  bool in_word = false;
  for (const char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  // Subword tokenizers give about 1.3 tokens per Malay or English word;
  // scripts without spaces count by bytes.
  return std::max(words + words / 3, s.size() / 4);
}

// Pieces of a long paragraph: sentences, and words when a sentence is too long.
std::vector<std::pair<size_t, size_t>> Pieces(
    std::string_view text, size_t target, const std::function<size_t(std::string_view)>& count) {
  std::vector<std::pair<size_t, size_t>> sentences;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '.' || c == '?' || c == '!' || c == ';') && i + 1 < text.size() &&
        text[i + 1] == ' ') {
      sentences.emplace_back(start, i + 2);
      start = i + 2;
    }
  }
  if (start < text.size()) sentences.emplace_back(start, text.size());
  std::vector<std::pair<size_t, size_t>> out;
  for (const auto& [a, b] : sentences) {
    if (count(text.substr(a, b - a)) <= target) {
      out.emplace_back(a, b);
      continue;
    }
    // Words: grow until the target, never splitting a UTF-8 sequence (spaces are ASCII).
    size_t piece = a;
    size_t last_space = a;
    for (size_t i = a; i <= b; ++i) {
      if (i == b || text[i] == ' ') {
        if (count(text.substr(piece, i - piece)) > target && last_space > piece) {
          out.emplace_back(piece, last_space + 1);
          piece = last_space + 1;
        }
        last_space = i;
      }
    }
    if (piece < b) out.emplace_back(piece, b);
  }
  return out;
}

}  // namespace

std::string DocumentText(const ParsedDocument& doc) {
  std::string out;
  for (const auto& b : doc.blocks) {
    if (!out.empty()) out += "\n\n";
    out += b.text;
  }
  return out;
}

std::vector<Chunk> ChunkDocument(const ParsedDocument& doc, const ChunkOptions& options) {
  const auto count = options.count_tokens ? options.count_tokens : EstimateTokens;
  const size_t target = std::max<size_t>(options.target_tokens, 16);
  std::vector<Chunk> out;
  std::vector<std::string> headings;  // index = level - 1
  std::string caption;                // of the table whose rows are being packed

  // The current chunk: spans of text with their code-point offsets.
  struct Span {
    std::string text;
    size_t start, end;
  };
  std::vector<Span> spans;
  int page = 0;
  const auto path = [&] {
    std::string p;
    for (const auto& h : headings) {
      if (!h.empty()) p += (p.empty() ? "" : " > ") + h;
    }
    if (!caption.empty()) p += (p.empty() ? "" : " > ") + caption;
    return p;
  };
  const auto flush = [&](bool keep_overlap) {
    if (spans.empty()) return;
    Chunk c;
    for (const auto& s : spans) c.text += (c.text.empty() ? "" : "\n") + s.text;
    c.heading_path = path();
    c.page = page;
    c.char_start = spans.front().start;
    c.char_end = spans.back().end;
    c.tokens = count(c.text);
    out.push_back(std::move(c));
    // Overlap: carry the last span when it is short enough.
    std::vector<Span> carry;
    if (keep_overlap && options.overlap_tokens > 0 &&
        count(spans.back().text) <= options.overlap_tokens)
      carry.push_back(spans.back());
    spans = std::move(carry);
  };

  size_t offset = 0;  // code points of DocumentText() before the current block
  for (size_t bi = 0; bi < doc.blocks.size(); ++bi) {
    const Block& b = doc.blocks[bi];
    if (bi > 0) offset += 2;  // the blank line between blocks
    const size_t block_start = offset;
    offset += CodePoints(b.text);
    if (b.page != page) {
      flush(false);
      page = b.page;
    }
    // A table's caption labels its rows' chunks (it is indexed and embedded
    // with each of them) and nothing after the table.
    const std::string& block_caption = b.kind == Block::Kind::kTableRow ? b.caption : "";
    if (block_caption != caption) {
      flush(false);
      caption = block_caption;
    }
    if (b.kind == Block::Kind::kHeading) {
      flush(false);
      const size_t level = static_cast<size_t>(std::clamp(b.level, 1, 6));
      headings.resize(level);
      headings[level - 1] = b.text;
      continue;
    }
    const std::string_view text = b.text;
    std::vector<std::pair<size_t, size_t>> pieces = {{0, text.size()}};
    if (count(text) > target) pieces = Pieces(text, target, count);
    for (const auto& [a, e] : pieces) {
      std::string piece(text.substr(a, e - a));
      while (!piece.empty() && piece.back() == ' ') piece.pop_back();
      if (piece.empty()) continue;
      const size_t start = block_start + CodePoints(text.substr(0, a));
      Span span{piece, start, start + CodePoints(piece)};
      std::string joined;
      for (const auto& s : spans) joined += s.text + "\n";
      if (!spans.empty() && count(joined + piece) > target) flush(true);
      spans.push_back(std::move(span));
    }
  }
  flush(false);
  return out;
}

}  // namespace daulat::knowledge
