#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace daulat::knowledge {

// Deeper HTML is refused: real pages nest tens of elements, and the HTML
// parser frees its tree recursively.
inline constexpr size_t kMaxHtmlDepth = 2000;

// A piece of a document's structure, in reading order.
struct Block {
  enum class Kind { kHeading, kParagraph, kTableRow };
  Kind kind = Kind::kParagraph;
  int level = 0;  // headings: 1 = top
  std::string text;
  int page = 0;  // 1-based for paged formats (PDF, slides); 0 when there are no pages
  // Table rows: the table's caption or the line that introduces it, which
  // the chunker adds to the rows' section path (see table_rows.h).
  std::string caption = {};
};

struct ParsedDocument {
  std::string format;  // "pdf", "docx", "pptx", "xlsx", "html", "markdown", "csv", "text"
  std::string title;   // from the document's metadata or first heading, if any
  std::vector<Block> blocks;
  int pages = 0;
  std::vector<int> ocr_pages;           // pages whose text came from OCR
  std::vector<int> pages_without_text;  // pages with no text even after OCR
};

// Defences against hostile files: every limit is checked while reading, so a
// zip bomb or a million-page PDF stops early with a clear error.
struct ParseLimits {
  size_t max_bytes = 64u << 20;      // the file as uploaded
  size_t max_unpacked = 256u << 20;  // all entries of an Office file, uncompressed
  size_t max_text = 32u << 20;       // extracted text
  int max_pages = 5000;
  // Scanned PDF pages (no text layer) are rendered at 300 dpi and read by
  // OCR (English and Malay), at most this many per document (0 = no OCR).
  int max_ocr_pages = 50;
};

// Reads PDF (text per page via poppler), DOCX, PPTX, XLSX (libarchive +
// pugixml; no external entities or DTDs are processed), HTML (gumbo),
// Markdown, CSV and UTF-8 text. The format comes from the content (magic
// bytes), the file name's extension only breaks ties among text formats.
// INVALID_ARGUMENT for a malformed, encrypted, binary or unsupported file and
// RESOURCE_EXHAUSTED past a limit, each naming the file and the reason.
Result<ParsedDocument> ParseDocument(std::string_view bytes, const std::string& filename,
                                     const ParseLimits& limits = {});

namespace internal {
// Per format, for the dispatcher and tests; `name` is used in errors.
Result<ParsedDocument> ParsePdf(std::string_view bytes, const std::string& name,
                                const ParseLimits& limits);
Result<ParsedDocument> ParseOffice(std::string_view bytes, const std::string& name,
                                   const ParseLimits& limits);
Result<ParsedDocument> ParseHtml(std::string_view bytes, const std::string& name);
ParsedDocument ParseMarkdown(std::string_view text);
ParsedDocument ParseCsv(std::string_view text);
ParsedDocument ParsePlainText(std::string_view text);
// Splits text into paragraphs at blank lines, joining wrapped lines.
void AppendParagraphs(std::string_view text, int page, std::vector<Block>& out);
// A PDF page's text (no blank lines between paragraphs, as a text layer
// gives it): paragraphs as above, and a line that numbers a section ("2.
// Teller cash limits", "4.1 Had nilai") becomes a heading of its depth, so
// that a page of several procedures is chunked section by section.
void AppendPageText(std::string_view text, int page, std::vector<Block>& out);
// The depth of a numbered section title ("2. Scope" 1, "4.1 Rates" 2), or 0
// when the line is not one: a number of at most three parts (one part needs
// its dot), then at most ten words that begin with a capital (or a
// non-Latin letter, not a bullet) and do not end a sentence.
int NumberedHeadingDepth(std::string_view line);
}  // namespace internal

}  // namespace daulat::knowledge
