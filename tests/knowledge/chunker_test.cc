#include "knowledge/chunker.h"

#include <gtest/gtest.h>

namespace daulat::knowledge {
namespace {

using Kind = Block::Kind;

size_t Words(std::string_view s) {
  size_t n = 0;
  bool in = false;
  for (const char c : s) {
    const bool sp = c == ' ' || c == '\n';
    if (!sp && !in) ++n;
    in = !sp;
  }
  return n;
}

// Code-point substring, to check offsets.
std::string Slice(const std::string& s, size_t from, size_t to) {
  std::string out;
  size_t cp = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool lead = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (lead && i > 0) ++cp;
    if (cp >= from && cp < to) out += s[i];
  }
  return out;
}

TEST(ChunkerTest, FollowsHeadingsAndPagesAndKeepsOffsets) {
  ParsedDocument doc;
  doc.blocks = {{Kind::kHeading, 1, "Garis Panduan", 1},
                {Kind::kParagraph, 0, "Permohonan dibuat dalam talian.", 1},
                {Kind::kHeading, 2, "Yuran", 1},
                {Kind::kParagraph, 0, "Yuran proses ialah RM50 — dibayar sekali.", 1},
                {Kind::kParagraph, 0, "Bayaran melalui FPX.", 2},
                {Kind::kHeading, 1, "Rayuan", 2},
                {Kind::kTableRow, 0, "Tempoh | 14 hari", 2}};
  ChunkOptions o;
  o.count_tokens = Words;
  const auto chunks = ChunkDocument(doc, o);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].heading_path, "Garis Panduan");
  EXPECT_EQ(chunks[1].heading_path, "Garis Panduan > Yuran");
  EXPECT_EQ(chunks[1].page, 1);
  EXPECT_EQ(chunks[2].page, 2);  // a chunk never crosses a page
  EXPECT_EQ(chunks[2].heading_path, "Garis Panduan > Yuran");
  EXPECT_EQ(chunks[3].heading_path, "Rayuan");
  const std::string text = DocumentText(doc);
  for (const auto& c : chunks) EXPECT_EQ(Slice(text, c.char_start, c.char_end), c.text) << c.text;
}

TEST(ChunkerTest, PacksToTheTargetWithOverlapAndSplitsLongParagraphs) {
  ParsedDocument doc;
  for (int i = 0; i < 10; ++i)
    doc.blocks.push_back(
        {Kind::kParagraph, 0, "Ayat nombor " + std::to_string(i) + " di sini.", 0});
  std::string long_para;
  for (int i = 0; i < 30; ++i) long_para += "Ini ayat panjang yang ke " + std::to_string(i) + ". ";
  doc.blocks.push_back({Kind::kParagraph, 0, long_para, 0});
  ChunkOptions o;
  o.count_tokens = Words;
  o.target_tokens = 20;
  o.overlap_tokens = 5;
  const auto chunks = ChunkDocument(doc, o);
  ASSERT_GT(chunks.size(), 5u);
  for (const auto& c : chunks) EXPECT_LE(Words(c.text), 20u) << c.text;
  // The last paragraph of a full chunk starts the next one again.
  const std::string last_of_first = chunks[0].text.substr(chunks[0].text.rfind('\n') + 1);
  EXPECT_EQ(chunks[1].text.rfind(last_of_first, 0), 0u);
  const std::string text = DocumentText(doc);
  for (const auto& c : chunks) {
    const std::string first_span = c.text.substr(0, c.text.find('\n'));
    EXPECT_EQ(Slice(text, c.char_start, c.char_start + first_span.size()), first_span);
  }
}

TEST(ChunkerTest, EmptyAndOddDocuments) {
  EXPECT_TRUE(ChunkDocument(ParsedDocument{}).empty());
  ParsedDocument only_headings;
  only_headings.blocks = {{Kind::kHeading, 1, "A", 0}, {Kind::kHeading, 9, "B", 0}};
  EXPECT_TRUE(ChunkDocument(only_headings).empty());
  ParsedDocument one_word;
  one_word.blocks = {{Kind::kParagraph, 0, std::string(5000, 'x'), 0}};  // no spaces to split at
  const auto chunks = ChunkDocument(one_word);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text.size(), 5000u);
}

}  // namespace
}  // namespace daulat::knowledge
