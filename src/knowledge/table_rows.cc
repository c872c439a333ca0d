#include "knowledge/table_rows.h"

namespace daulat::knowledge {
namespace {

constexpr size_t kMaxCaptionBytes = 200;

std::string Trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

std::string Plain(const std::vector<std::string>& cells) {
  std::string row;
  for (const auto& cell : cells) {
    const std::string value = Trimmed(cell);
    if (!value.empty()) row += (row.empty() ? "" : " | ") + value;
  }
  return row;
}

std::string Labelled(const std::vector<std::string>& header,
                     const std::vector<std::string>& cells) {
  std::string row;
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::string value = Trimmed(cells[i]);
    if (value.empty()) continue;
    const std::string name = i < header.size() ? Trimmed(header[i]) : "";
    row +=
        (row.empty() ? "" : "; ") + (name.empty() || name == value ? value : name + ": " + value);
  }
  return row;
}

}  // namespace

void AppendTable(ParsedDocument& doc, Table table) {
  // An explicit caption is text of the document; else a short line right
  // before the table ("Jadual 2: Kadar elaun") introduces it.
  std::string caption = Trimmed(table.caption);
  if (!caption.empty()) {
    doc.blocks.push_back({Block::Kind::kParagraph, 0, caption, table.page, ""});
  } else if (!doc.blocks.empty() && doc.blocks.back().kind == Block::Kind::kParagraph &&
             doc.blocks.back().page == table.page &&
             doc.blocks.back().text.find('\n') == std::string::npos) {
    caption = doc.blocks.back().text;
  }
  if (caption.size() > kMaxCaptionBytes) caption.clear();
  size_t named = 0;
  if (table.has_header && !table.rows.empty()) {
    for (const auto& h : table.rows.front()) named += Trimmed(h).empty() ? 0 : 1;
  }
  const bool labelled = table.has_header && table.rows.size() >= 2 && named >= 2;
  for (size_t i = labelled ? 1 : 0; i < table.rows.size(); ++i) {
    std::string row = labelled ? Labelled(table.rows.front(), table.rows[i]) : Plain(table.rows[i]);
    if (!row.empty())
      doc.blocks.push_back({Block::Kind::kTableRow, 0, std::move(row), table.page, caption});
  }
}

}  // namespace daulat::knowledge
