#include "eval_set.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_documents.h"

namespace daulat::bench {
namespace {

using nlohmann::json;

std::string Normalized(std::string_view s) {
  std::string out;
  bool space = false;
  for (const char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '|' || c == ';' || c == ':') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Lines of at most `width` bytes, broken between words: text beyond the
// page's edge would not be part of the PDF's text.
std::string Wrapped(const std::string& text, size_t width) {
  std::string out, line;
  std::istringstream lines(text);
  for (std::string in; std::getline(lines, in);) {
    std::istringstream words(in);
    line.clear();
    for (std::string w; words >> w;) {
      if (!line.empty() && line.size() + 1 + w.size() > width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + w;
    }
    out += line + "\n";
  }
  return out;
}

std::string Xlsx(const std::string& tsv) {
  std::string sheet = "<worksheet><sheetData>";
  std::istringstream lines(tsv);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    sheet += "<row>";
    size_t pos = 0;
    while (pos <= line.size()) {
      size_t tab = line.find('\t', pos);
      if (tab == std::string::npos) tab = line.size();
      sheet += "<c t=\"inlineStr\"><is><t>" + testing::XmlEscape(line.substr(pos, tab - pos)) +
               "</t></is></c>";
      pos = tab + 1;
    }
    sheet += "</row>";
  }
  sheet += "</sheetData></worksheet>";
  return testing::MakeZip({{"xl/worksheets/sheet1.xml", sheet}});
}

std::string Docx(const std::string& md) {
  std::vector<std::string> paragraphs, rows;
  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (line.front() != '|') {
      paragraphs.push_back(line);
      continue;
    }
    std::string row;
    size_t pos = 1;
    while (pos < line.size()) {
      size_t bar = line.find('|', pos);
      if (bar == std::string::npos) bar = line.size();
      std::string cell = line.substr(pos, bar - pos);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      if (bar < line.size()) row += (row.empty() ? "" : " | ") + cell;
      pos = bar + 1;
    }
    rows.push_back(row);
  }
  return testing::MakeDocx(paragraphs, rows);
}

std::string Pdf(const std::string& text) {
  std::vector<std::string> pages;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t ff = text.find('\f', pos);
    if (ff == std::string::npos) ff = text.size();
    std::string page = text.substr(pos, ff - pos);
    while (!page.empty() && page.back() == '\n') page.pop_back();
    if (!page.empty()) pages.push_back(Wrapped(page, 80));
    pos = ff + 1;
  }
  return testing::MakePdf(pages);
}

}  // namespace

Result<std::vector<Question>> LoadQuestions(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return NotFound("cannot read " + file.string());
  std::vector<Question> out;
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    const std::string where = file.filename().string() + ":" + std::to_string(n);
    if (!j.is_object() || !j.contains("id") || !j.contains("question"))
      return InvalidArgument(where + ": not a question");
    Question q;
    q.id = j["id"];
    q.lang = j.value("lang", "");
    q.text = j["question"];
    q.answer = j.value("answer", "");
    q.answerable = j.value("answerable", true);
    q.category = j.value("category", q.answerable ? "monolingual" : "unanswerable");
    if (j.contains("passages")) {
      for (const auto& e : j["passages"]) q.evidence.push_back({e.at("doc"), e.at("passage")});
    } else if (q.answerable) {
      q.evidence.push_back({j.value("doc", ""), j.value("passage", "")});
    }
    if (q.answerable && (q.evidence.empty() || q.answer.empty()))
      return InvalidArgument(where + ": an answerable question needs its evidence and answer");
    out.push_back(std::move(q));
  }
  return out;
}

std::pair<std::string, std::string> Document(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string name = path.filename().string();
  const std::string ingested = IngestedName(name);
  if (name.ends_with(".scanned.txt")) return {ingested, testing::MakeScannedPdf(Wrapped(text, 80))};
  if (name.ends_with(".pdf.txt")) return {ingested, Pdf(text)};
  if (name.ends_with(".xlsx.tsv")) return {ingested, Xlsx(text)};
  if (name.ends_with(".docx.md")) return {ingested, Docx(text)};
  return {name, text};
}

std::string IngestedName(const std::string& doc) {
  const auto replaced = [&](const std::string& suffix, const std::string& by) {
    return doc.substr(0, doc.size() - suffix.size()) + by;
  };
  if (doc.ends_with(".scanned.txt")) return replaced(".scanned.txt", ".pdf");
  if (doc.ends_with(".pdf.txt")) return replaced(".pdf.txt", ".pdf");
  if (doc.ends_with(".xlsx.tsv")) return replaced(".xlsx.tsv", ".xlsx");
  if (doc.ends_with(".docx.md")) return replaced(".docx.md", ".docx");
  return doc;
}

bool Holds(const knowledge::SearchHit& hit, const Evidence& e) {
  if (hit.source_name != IngestedName(e.doc)) return false;
  // Cells copied from one table row ("Gred 41 | RM90") may be apart in the
  // row as indexed ("Gred: Gred 41; Elaun: RM90"): each must be there.
  const std::string text = Normalized(hit.text);
  size_t pos = 0;
  while (pos <= e.passage.size()) {
    size_t bar = e.passage.find('|', pos);
    if (bar == std::string::npos) bar = e.passage.size();
    const std::string cell = Normalized(e.passage.substr(pos, bar - pos));
    if (!cell.empty() && text.find(cell) == std::string::npos) return false;
    pos = bar + 1;
  }
  return true;
}

bool Contains(const std::string& answer, const std::string& expected) {
  return Normalized(answer).find(Normalized(expected)) != std::string::npos;
}

bool Found(const std::vector<knowledge::SearchHit>& hits, const Question& q, size_t k) {
  const auto end = hits.begin() + static_cast<std::ptrdiff_t>(std::min(k, hits.size()));
  return std::all_of(q.evidence.begin(), q.evidence.end(), [&](const Evidence& e) {
    return std::any_of(hits.begin(), end, [&](const auto& h) { return Holds(h, e); });
  });
}

}  // namespace daulat::bench
