// PDF (poppler) and Office Open XML (libarchive + pugixml) documents.

#include <archive.h>
#include <archive_entry.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <pugixml.hpp>

#include "knowledge/document_parser.h"
#include "knowledge/ocr.h"
#include "knowledge/table_rows.h"

namespace daulat::knowledge::internal {
namespace {

std::string Utf8(const poppler::ustring& s) {
  const auto bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

void Quiet(const std::string& /*message*/, void* /*closure*/) {}

// Every text run below `node` ("w:t", "a:t", "t"), tabs and breaks as spaces.
std::string TextOf(const pugi::xml_node& node, const char* run) {
  std::string out;
  for (const auto& n : node.select_nodes((std::string(".//*[local-name()='") + run +
                                          "' or local-name()='tab' or local-name()='br']")
                                             .c_str())) {
    const pugi::xml_node x = n.node();
    const std::string_view local = [&] {
      std::string_view name = x.name();
      const size_t colon = name.find(':');
      return colon == std::string_view::npos ? name : name.substr(colon + 1);
    }();
    if (local == run) {
      out += x.text().get();
    } else {
      out += ' ';
    }
  }
  return out;
}

std::string Trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n\f\v");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t\r\n\f\v") - a + 1);
}

// libarchive's message for its last error; it may have none (NULL).
std::string ArchiveError(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "no reason given";
}

// Reads the zip's entries whose names `want` accepts, enforcing the unpacked-size limit.
Result<std::map<std::string, std::string>> ReadZip(std::string_view bytes, const std::string& name,
                                                   const ParseLimits& limits,
                                                   bool (*want)(const std::string&)) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    return InvalidArgument(name + ": not a readable zip file");
  std::map<std::string, std::string> out;
  size_t unpacked = 0;
  archive_entry* entry = nullptr;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return InvalidArgument(name + ": damaged zip (" + ArchiveError(a.get()) + ")");
    if (archive_entry_is_encrypted(entry))
      return InvalidArgument(name + " is encrypted: remove the password and upload again");
    const std::string path = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    const bool keep = want(path);
    std::string data;
    char buf[64 * 1024];
    while (true) {
      const la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) return InvalidArgument(name + ": damaged zip entry " + path);
      unpacked += static_cast<size_t>(n);
      if (unpacked > limits.max_unpacked)
        return ResourceExhausted(name + " unpacks to more than " +
                                 std::to_string(limits.max_unpacked >> 20) + " MiB (a zip bomb?)");
      if (keep) data.append(buf, static_cast<size_t>(n));
    }
    if (keep) out[path] = std::move(data);
  }
  return out;
}

Result<pugi::xml_document> Xml(const std::string& data, const std::string& name,
                               const std::string& part) {
  pugi::xml_document doc;
  // Default parsing: no DTD processing and no entities beyond XML's five.
  const auto r = doc.load_buffer(data.data(), data.size(), pugi::parse_default);
  if (!r)
    return InvalidArgument(name + ": " + part + " is not well-formed XML (" + r.description() +
                           ")");
  return doc;
}

int HeadingLevel(const pugi::xml_node& p) {
  const std::string style = p.child("w:pPr").child("w:pStyle").attribute("w:val").as_string();
  if (style == "Title") return 1;
  for (const char* prefix : {"Heading", "heading", "Tajuk"}) {
    const std::string pre(prefix);
    if (style.rfind(pre, 0) == 0 && style.size() > pre.size() &&
        std::isdigit(static_cast<unsigned char>(style[pre.size()])))
      return std::clamp(style[pre.size()] - '0', 1, 6);
  }
  return 0;
}

void Docx(const pugi::xml_document& xml, ParsedDocument& doc) {
  const auto body = xml.child("w:document").child("w:body");
  for (const auto& node : body.children()) {
    const std::string_view tag = node.name();
    if (tag == "w:p") {
      std::string text = Trimmed(TextOf(node, "t"));
      if (text.empty()) continue;
      const int level = HeadingLevel(node);
      doc.blocks.push_back(
          {level > 0 ? Block::Kind::kHeading : Block::Kind::kParagraph, level, std::move(text), 0});
    } else if (tag == "w:tbl") {
      // Word tables put their column headings in the first row.
      Table table;
      table.has_header = true;
      for (const auto& tr : node.children("w:tr")) {
        std::vector<std::string> cells;
        for (const auto& tc : tr.children("w:tc")) cells.push_back(Trimmed(TextOf(tc, "t")));
        table.rows.push_back(std::move(cells));
      }
      AppendTable(doc, std::move(table));
    }
  }
}

int NumberIn(const std::string& path) {
  std::string digits;
  for (const char c : path) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  return digits.empty() || digits.size() > 6 ? 0 : std::stoi(digits);
}

constexpr double kOcrDpi = 300;
// A page rendered for OCR holds at most this many pixels (an A3 page at
// 300 dpi is 17.4 million): a hostile file can declare a page of 200 by 200
// inches, 3.6 GB of pixels at 300 dpi. Bigger pages are read at a lower
// resolution, and not at all below kMinOcrDpi, where OCR reads nothing useful.
constexpr double kMaxOcrPixels = 36e6;
constexpr double kMinOcrDpi = 70;

Result<std::string> OcrPage(const poppler::page& page) {
  const poppler::rectf box = page.page_rect();
  const double inches = (box.width() / 72.0) * (box.height() / 72.0);
  if (!(inches > 0)) return Unavailable("the page has no area to read by OCR");
  const double dpi = std::min(kOcrDpi, std::sqrt(kMaxOcrPixels / inches));
  if (dpi < kMinOcrDpi) return Unavailable("the page is too large to read by OCR");
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_gray8);
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  const poppler::image img = renderer.render_page(&page, dpi, dpi);
  if (!img.is_valid()) return Unavailable("the page could not be rendered for OCR");
  return RecogniseText(reinterpret_cast<const unsigned char*>(img.const_data()), img.width(),
                       img.height(), img.bytes_per_row(), static_cast<int>(dpi));
}

}  // namespace

Result<ParsedDocument> ParsePdf(std::string_view bytes, const std::string& name,
                                const ParseLimits& limits) {
  poppler::set_debug_error_function(Quiet, nullptr);
  std::unique_ptr<poppler::document> pdf(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!pdf) return InvalidArgument(name + ": the PDF is damaged or not a PDF");
  if (pdf->is_locked())
    return InvalidArgument(name + " is encrypted: remove the password and upload again");
  ParsedDocument doc;
  doc.format = "pdf";
  doc.pages = pdf->pages();
  if (doc.pages > limits.max_pages)
    return ResourceExhausted(name + " has " + std::to_string(doc.pages) + " pages (at most " +
                             std::to_string(limits.max_pages) + ")");
  doc.title = Trimmed(Utf8(pdf->info_key("Title")));
  for (int i = 0; i < doc.pages; ++i) {
    std::unique_ptr<poppler::page> page(pdf->create_page(i));
    if (!page) continue;
    const std::string text = Utf8(page->text());
    const size_t before = doc.blocks.size();
    AppendPageText(text, i + 1, doc.blocks);
    if (doc.blocks.size() > before) continue;
    // No text layer: a scanned page. Read it by OCR while the budget lasts.
    if (static_cast<int>(doc.ocr_pages.size()) < limits.max_ocr_pages) {
      auto ocr = OcrPage(*page);
      if (ocr.ok()) AppendPageText(*ocr, i + 1, doc.blocks);
      if (doc.blocks.size() > before) {
        doc.ocr_pages.push_back(i + 1);
        continue;
      }
    }
    doc.pages_without_text.push_back(i + 1);
  }
  return doc;
}

Result<ParsedDocument> ParseOffice(std::string_view bytes, const std::string& name,
                                   const ParseLimits& limits) {
  auto parts = ReadZip(bytes, name, limits, [](const std::string& p) {
    return p == "word/document.xml" || p == "docProps/core.xml" || p == "xl/sharedStrings.xml" ||
           (p.rfind("ppt/slides/slide", 0) == 0 && p.find('/', 11) == std::string::npos &&
            p.compare(p.size() - 4, 4, ".xml") == 0) ||
           (p.rfind("xl/worksheets/sheet", 0) == 0 && p.compare(p.size() - 4, 4, ".xml") == 0);
  });
  if (!parts.ok()) return parts.status();
  ParsedDocument doc;
  if (auto core = parts->find("docProps/core.xml"); core != parts->end()) {
    auto xml = Xml(core->second, name, "docProps/core.xml");
    if (xml.ok()) doc.title = Trimmed(xml->child("cp:coreProperties").child_value("dc:title"));
  }
  if (auto word = parts->find("word/document.xml"); word != parts->end()) {
    doc.format = "docx";
    auto xml = Xml(word->second, name, "word/document.xml");
    if (!xml.ok()) return xml.status();
    Docx(*xml, doc);
    return doc;
  }
  std::vector<std::pair<int, const std::string*>> slides, sheets;
  for (const auto& [path, data] : *parts) {
    if (path.rfind("ppt/slides/slide", 0) == 0) slides.emplace_back(NumberIn(path), &data);
    if (path.rfind("xl/worksheets/sheet", 0) == 0) sheets.emplace_back(NumberIn(path), &data);
  }
  std::sort(slides.begin(), slides.end());
  std::sort(sheets.begin(), sheets.end());
  if (!slides.empty()) {
    doc.format = "pptx";
    doc.pages = static_cast<int>(slides.size());
    if (doc.pages > limits.max_pages) return ResourceExhausted(name + " has too many slides");
    for (size_t i = 0; i < slides.size(); ++i) {
      auto xml = Xml(*slides[i].second, name, "slide " + std::to_string(i + 1));
      if (!xml.ok()) return xml.status();
      const int page = static_cast<int>(i) + 1;
      for (const auto& sp : xml->select_nodes("//*[local-name()='sp']")) {
        const auto shape = sp.node();
        const std::string type =
            shape.select_node(".//*[local-name()='ph']").node().attribute("type").as_string();
        const bool title = type == "title" || type == "ctrTitle";
        for (const auto& p : shape.select_nodes(".//*[local-name()='p']")) {
          std::string text = Trimmed(TextOf(p.node(), "t"));
          if (text.empty()) continue;
          doc.blocks.push_back({title ? Block::Kind::kHeading : Block::Kind::kParagraph,
                                title ? 1 : 0, std::move(text), page});
        }
      }
    }
    return doc;
  }
  if (!sheets.empty()) {
    doc.format = "xlsx";
    std::vector<std::string> shared;
    if (auto ss = parts->find("xl/sharedStrings.xml"); ss != parts->end()) {
      auto xml = Xml(ss->second, name, "xl/sharedStrings.xml");
      if (!xml.ok()) return xml.status();
      for (const auto& si : xml->child("sst").children("si")) shared.push_back(TextOf(si, "t"));
    }
    doc.pages = static_cast<int>(sheets.size());
    for (size_t i = 0; i < sheets.size(); ++i) {
      auto xml = Xml(*sheets[i].second, name, "sheet " + std::to_string(i + 1));
      if (!xml.ok()) return xml.status();
      const int page = static_cast<int>(i) + 1;
      doc.blocks.push_back({Block::Kind::kHeading, 1, "Sheet " + std::to_string(page), page});
      // A sheet is one table, its first row the column headings.
      Table table;
      table.has_header = true;
      table.page = page;
      for (const auto& row : xml->child("worksheet").child("sheetData").children("row")) {
        std::vector<std::string> line;
        for (const auto& c : row.children("c")) {
          const std::string t = c.attribute("t").as_string();
          std::string value;
          if (t == "s") {
            const auto idx = static_cast<size_t>(c.child("v").text().as_ullong(~0ull));
            if (idx < shared.size()) value = shared[idx];
          } else if (t == "inlineStr") {
            value = TextOf(c, "t");
          } else {
            value = c.child_value("v");
          }
          line.push_back(Trimmed(value));
        }
        if (std::any_of(line.begin(), line.end(), [](const auto& v) { return !v.empty(); }))
          table.rows.push_back(std::move(line));
      }
      AppendTable(doc, std::move(table));
    }
    return doc;
  }
  return InvalidArgument(name + ": a zip file that is not a DOCX, PPTX or XLSX document");
}

}  // namespace daulat::knowledge::internal
