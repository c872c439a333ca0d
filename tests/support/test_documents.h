#pragma once

#include <map>
#include <string>
#include <vector>

namespace daulat::testing {

// Builds small real documents for parser and ingestion tests, so the suite
// needs no binary fixtures.
// A PDF with one text page per entry of `pages` (Helvetica 12 pt, one text
// line per '\n'-separated line; an empty entry gives a page without text,
// like a scanned one).
std::string MakePdf(const std::vector<std::string>& pages, const std::string& title = "");
// A PDF whose single page is an image of `text` (lines split at '\n'; no text
// layer), like a scanned letter: the text page is rendered at 200 dpi and
// embedded as a grey image.
std::string MakeScannedPdf(const std::string& text);
// A zip (deflate) holding the given files; used for DOCX, PPTX and XLSX.
// `s` with &, < and > escaped for XML text.
std::string XmlEscape(const std::string& s);

std::string MakeZip(const std::map<std::string, std::string>& files);
// A DOCX: paragraphs, with "# " / "## " prefixes turned into Heading1/2, and
// rows ("a | b") into one table.
std::string MakeDocx(const std::vector<std::string>& paragraphs,
                     const std::vector<std::string>& table_rows = {});

}  // namespace daulat::testing
