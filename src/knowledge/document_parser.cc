#include "knowledge/document_parser.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>

#include "common/utf8.h"
#include "knowledge/table_rows.h"

namespace daulat::knowledge {
namespace internal {
namespace {

// Elements that never hold others, or that the next one closes: they add no
// depth however many there are.
bool NestsNothing(std::string_view tag) {
  for (std::string_view t :
       {"br",  "img",   "hr",    "meta",   "link",  "input", "p",        "li",
        "td",  "tr",    "th",    "option", "dt",    "dd",    "area",     "base",
        "col", "embed", "param", "source", "track", "wbr",   "!doctype", "!--"}) {
    if (tag == t) return true;
  }
  return false;
}

// An upper bound on how deep the HTML nests, read before the parser sees
// it: Gumbo frees its tree recursively, so a page of 100,000 nested <div>s
// would end the process. HTML ignores "/>" on ordinary elements, and an end
// tag closes only an element of its name that is open, so both are counted
// that way.
size_t HtmlNestingDepth(std::string_view html) {
  std::vector<std::string> open;
  size_t deepest = 0;
  for (size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    const bool end = i + 1 < html.size() && html[i + 1] == '/';
    size_t j = i + (end ? 2 : 1);
    std::string tag;
    while (j < html.size() && tag.size() < 16 &&
           (std::isalnum(static_cast<unsigned char>(html[j])) != 0 || html[j] == '!' ||
            html[j] == '-'))
      tag += static_cast<char>(std::tolower(static_cast<unsigned char>(html[j++])));
    if (tag.empty() || NestsNothing(tag)) continue;
    if (!end) {
      open.push_back(std::move(tag));
      deepest = std::max(deepest, open.size());
      if (deepest > kMaxHtmlDepth) return deepest;  // enough to refuse; keeps the scan linear
      continue;
    }
    const auto match = std::find(open.rbegin(), open.rend(), tag);
    if (match != open.rend()) open.erase(std::next(match).base(), open.end());
  }
  return deepest;
}

std::string Trim(std::string_view s) {
  const size_t a = s.find_first_not_of(" \t\r\n\f\v");
  if (a == std::string_view::npos) return {};
  const size_t b = s.find_last_not_of(" \t\r\n\f\v");
  return std::string(s.substr(a, b - a + 1));
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void Walk(const GumboNode* node, ParsedDocument& doc, std::string& para);

// All the text of a table cell or caption, its inner blocks on one line.
std::string CellText(const GumboNode* cell) {
  ParsedDocument inner;
  std::string text;
  Walk(cell, inner, text);
  for (const auto& b : inner.blocks) text += " " + b.text;
  return Trim(text);
}

// A table's caption and rows (through THEAD, TBODY and TFOOT, not into
// tables nested in cells). The first row is the header when its cells are
// all TH, or when it is in THEAD.
void CollectTable(const GumboNode* node, Table& table, bool in_head = false) {
  const auto row_of = [&](const GumboNode* tr) {
    std::vector<std::string> cells;
    bool all_th = true;
    const GumboVector& kids = tr->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      const auto* cell = static_cast<const GumboNode*>(kids.data[i]);
      if (cell->type != GUMBO_NODE_ELEMENT) continue;
      all_th = all_th && cell->v.element.tag == GUMBO_TAG_TH;
      cells.push_back(CellText(cell));
    }
    if (table.rows.empty() && !cells.empty()) table.has_header = all_th || in_head;
    table.rows.push_back(std::move(cells));
  };
  if (node->v.element.tag == GUMBO_TAG_TR) return row_of(node);
  const GumboVector& kids = node->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    const auto* k = static_cast<const GumboNode*>(kids.data[i]);
    if (k->type != GUMBO_NODE_ELEMENT) continue;
    const GumboTag t = k->v.element.tag;
    if (t == GUMBO_TAG_TR) {
      row_of(k);
    } else if (t == GUMBO_TAG_CAPTION) {
      table.caption = CellText(k);
    } else if (t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TBODY || t == GUMBO_TAG_TFOOT) {
      CollectTable(k, table, t == GUMBO_TAG_THEAD);
    }
  }
}

// HTML: headings, paragraphs, list items and table rows in reading order.
void Walk(const GumboNode* node, ParsedDocument& doc, std::string& para) {
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
    para += node->v.text.text;
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT) return;
  const GumboTag tag = node->v.element.tag;
  if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_NOSCRIPT ||
      tag == GUMBO_TAG_TEMPLATE)
    return;
  if (tag == GUMBO_TAG_TITLE) {
    std::string t;
    const GumboVector& kids = node->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      const auto* k = static_cast<const GumboNode*>(kids.data[i]);
      if (k->type == GUMBO_NODE_TEXT) t += k->v.text.text;
    }
    doc.title = Trim(t);
    return;
  }
  const auto flush = [&] {
    AppendParagraphs(para, 0, doc.blocks);
    para.clear();
  };
  int heading = 0;
  if (tag >= GUMBO_TAG_H1 && tag <= GUMBO_TAG_H6)
    heading = static_cast<int>(tag - GUMBO_TAG_H1) + 1;
  if (tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_TR) {
    flush();
    Table table;
    CollectTable(node, table);
    AppendTable(doc, std::move(table));
    return;
  }
  const bool block_level = heading > 0 || tag == GUMBO_TAG_P || tag == GUMBO_TAG_LI ||
                           tag == GUMBO_TAG_DIV || tag == GUMBO_TAG_BR || tag == GUMBO_TAG_TABLE ||
                           tag == GUMBO_TAG_SECTION || tag == GUMBO_TAG_ARTICLE ||
                           tag == GUMBO_TAG_BLOCKQUOTE || tag == GUMBO_TAG_PRE ||
                           tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL;
  if (block_level) flush();
  if (heading > 0) {
    std::string text;
    ParsedDocument inner;
    const GumboVector& kids = node->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i)
      Walk(static_cast<const GumboNode*>(kids.data[i]), inner, text);
    if (!Trim(text).empty()) doc.blocks.push_back({Block::Kind::kHeading, heading, Trim(text), 0});
    return;
  }
  const GumboVector& kids = node->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i)
    Walk(static_cast<const GumboNode*>(kids.data[i]), doc, para);
  if (block_level) flush();
}

std::vector<std::string> CsvRow(std::string_view text, size_t& pos) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"' && pos < text.size() && text[pos] == '"') {
        cells.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      cells.back() += c;
    }
  }
  return cells;
}

}  // namespace

void AppendParagraphs(std::string_view text, int page, std::vector<Block>& out) {
  std::string para;
  size_t pos = 0;
  const auto flush = [&] {
    std::string t = Trim(para);
    if (!t.empty()) out.push_back({Block::Kind::kParagraph, 0, std::move(t), page});
    para.clear();
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line = Trim(text.substr(pos, nl - pos));
    if (line.empty()) {
      flush();
    } else {
      if (!para.empty()) para += ' ';
      para += line;
    }
    pos = nl + 1;
  }
  flush();
}

int NumberedHeadingDepth(std::string_view line) {
  size_t i = 0;
  int parts = 0;
  while (parts < 3) {
    const size_t digits = i;
    while (i < line.size() && i - digits < 3 && std::isdigit(static_cast<unsigned char>(line[i])))
      ++i;
    if (i == digits) return 0;
    ++parts;
    if (i < line.size() && line[i] == '.' && i + 1 < line.size() &&
        std::isdigit(static_cast<unsigned char>(line[i + 1]))) {
      ++i;
      continue;
    }
    break;
  }
  // "2." or "4.1": a lone number without its dot is a date, an address or a
  // table row ("15 Mac 2025", "12 Jalan Ampang") far more often than a title.
  if (i < line.size() && line[i] == '.') {
    ++i;
  } else if (parts == 1) {
    return 0;
  }
  if (i >= line.size() || line[i] != ' ') return 0;
  const std::string rest = Trim(line.substr(i));
  if (rest.empty() || rest.size() > 80) return 0;
  const auto first = static_cast<unsigned char>(rest.front());
  if (!(std::isupper(first) || first >= 0x80)) return 0;
  // Bullets, dashes and full-width punctuation do not begin a title.
  if (rest.rfind("\xE2\x80", 0) == 0 || rest.rfind("\xE2\x97", 0) == 0 ||
      rest.rfind("\xEF\xBC", 0) == 0)
    return 0;
  if (std::string_view(".,;").find(rest.back()) != std::string_view::npos) return 0;
  return std::count(rest.begin(), rest.end(), ' ') < 10 ? parts : 0;
}

void AppendPageText(std::string_view text, int page, std::vector<Block>& out) {
  std::string para;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line = Trim(text.substr(pos, nl - pos));
    // A section shorter than this runs on into the next one: a passage of a
    // line or two (a title, a one-sentence purpose) would match any
    // question about its subject and crowd out the passages that answer.
    constexpr size_t kMinSectionBytes = 240;
    const int depth = NumberedHeadingDepth(line);
    if (depth > 0 && (para.empty() || para.size() >= kMinSectionBytes)) {
      AppendParagraphs(para, page, out);
      para.clear();
      out.push_back({Block::Kind::kHeading, depth, line, page});
    } else {
      para += line + "\n";
    }
    pos = nl + 1;
  }
  AppendParagraphs(para, page, out);
}

ParsedDocument ParsePlainText(std::string_view text) {
  ParsedDocument doc;
  doc.format = "text";
  AppendParagraphs(text, 0, doc.blocks);
  return doc;
}

ParsedDocument ParseMarkdown(std::string_view text) {
  ParsedDocument doc;
  doc.format = "markdown";
  std::string para;
  const auto flush = [&] {
    AppendParagraphs(para, 0, doc.blocks);
    para.clear();
  };
  Table table;  // the Markdown table being read, if any
  const auto end_table = [&] {
    if (!table.rows.empty()) AppendTable(doc, std::move(table));
    table = {};
  };
  size_t pos = 0;
  bool fence = false;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (fence || line.size() < 2 || line.front() != '|') end_table();
    if (line.rfind("```", 0) == 0) {
      fence = !fence;
      flush();
      continue;
    }
    if (!fence && !line.empty() && line[0] == '#') {
      const size_t level = line.find_first_not_of('#');
      if (level != std::string::npos && level <= 6 && line[level] == ' ') {
        flush();
        doc.blocks.push_back(
            {Block::Kind::kHeading, static_cast<int>(level), Trim(line.substr(level)), 0});
        if (doc.title.empty() && level == 1) doc.title = doc.blocks.back().text;
        continue;
      }
    }
    if (!fence && line.size() > 1 && line.front() == '|') {
      flush();
      if (line.find_first_not_of("|-: ") == std::string::npos) {  // separator row
        if (table.rows.size() == 1) table.has_header = true;
        continue;
      }
      std::vector<std::string> cells;
      size_t p = 1;
      while (p < line.size()) {
        size_t bar = line.find('|', p);
        if (bar == std::string::npos) bar = line.size();
        if (bar == line.size() && Trim(std::string_view(line).substr(p)).empty()) break;
        cells.push_back(Trim(std::string_view(line).substr(p, bar - p)));
        p = bar + 1;
      }
      table.rows.push_back(std::move(cells));
      continue;
    }
    if (line.empty()) {
      flush();
    } else {
      para += line + "\n";
    }
  }
  end_table();
  flush();
  return doc;
}

ParsedDocument ParseCsv(std::string_view text) {
  ParsedDocument doc;
  doc.format = "csv";
  size_t pos = 0;
  const auto header = CsvRow(text, pos);
  while (pos < text.size()) {
    const auto cells = CsvRow(text, pos);
    std::string row;
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string value = Trim(cells[i]);
      if (value.empty()) continue;
      const std::string name = i < header.size() ? Trim(header[i]) : "";
      row += (row.empty() ? "" : "; ") + (name.empty() ? value : name + ": " + value);
    }
    if (!row.empty()) doc.blocks.push_back({Block::Kind::kTableRow, 0, row, 0});
  }
  return doc;
}

Result<ParsedDocument> ParseHtml(std::string_view bytes, const std::string& name) {
  if (HtmlNestingDepth(bytes) > kMaxHtmlDepth)
    return InvalidArgument(name + ": the HTML nests deeper than " + std::to_string(kMaxHtmlDepth) +
                           " elements");
  GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, bytes.data(), bytes.size());
  if (out == nullptr) return InvalidArgument(name + ": the HTML could not be parsed");
  ParsedDocument doc;
  doc.format = "html";
  std::string para;
  Walk(out->root, doc, para);
  AppendParagraphs(para, 0, doc.blocks);
  gumbo_destroy_output(&kGumboDefaultOptions, out);
  return doc;
}

}  // namespace internal

Result<ParsedDocument> ParseDocument(std::string_view bytes, const std::string& filename,
                                     const ParseLimits& limits) {
  const std::string name = filename.empty() ? "the document" : filename;
  if (bytes.size() > limits.max_bytes)
    return ResourceExhausted(name + " is larger than " + std::to_string(limits.max_bytes >> 20) +
                             " MiB");
  if (bytes.empty()) return InvalidArgument(name + " is empty");
  const std::string ext = [&] {
    const size_t dot = filename.rfind('.');
    return dot == std::string::npos ? std::string() : internal::Lower(filename.substr(dot + 1));
  }();
  Result<ParsedDocument> doc = InvalidArgument(name + ": unsupported format");
  if (bytes.rfind("%PDF-", 0) == 0) {
    doc = internal::ParsePdf(bytes, name, limits);
  } else if (bytes.rfind(std::string_view("PK\x03\x04", 4), 0) == 0) {
    doc = internal::ParseOffice(bytes, name, limits);
  } else if (bytes.rfind(std::string_view("\xD0\xCF\x11\xE0", 4), 0) == 0) {
    return InvalidArgument(name +
                           " is a password-protected Office file or an old binary .doc/.xls/.ppt: "
                           "save it as DOCX, XLSX or PPTX without a password");
  } else {
    if (bytes.find('\0') != std::string_view::npos || !IsValidUtf8(bytes))
      return InvalidArgument(name +
                             " is not a supported document (binary, or text that is not UTF-8)");
    const std::string head = internal::Lower(std::string(bytes.substr(0, 512)));
    if (ext == "html" || ext == "htm" || head.find("<!doctype html") != std::string::npos ||
        head.find("<html") != std::string::npos) {
      doc = internal::ParseHtml(bytes, name);
    } else if (ext == "md" || ext == "markdown") {
      doc = internal::ParseMarkdown(bytes);
    } else if (ext == "csv") {
      doc = internal::ParseCsv(bytes);
    } else {
      doc = internal::ParsePlainText(bytes);
    }
  }
  if (!doc.ok()) return doc;
  size_t text = 0;
  for (const auto& b : doc->blocks) text += b.text.size();
  if (text > limits.max_text)
    return ResourceExhausted(name + " holds more than " + std::to_string(limits.max_text >> 20) +
                             " MiB of text");
  if (doc->title.empty()) {
    for (const auto& b : doc->blocks) {
      if (b.kind == Block::Kind::kHeading) {
        doc->title = b.text;
        break;
      }
    }
  }
  return doc;
}

}  // namespace daulat::knowledge
