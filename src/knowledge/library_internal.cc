#include "knowledge/library_internal.h"

#include "common/sha256.h"
#include "common/utf8.h"
#include "knowledge/text_analyzer.h"

namespace daulat::knowledge::internal {
namespace {

std::string LikeEscaped(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string AsciiLower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

std::string Visible(const Reader& r, const std::string& alias, std::vector<store::Value>& params) {
  // The operator's reader: every ACL group (a condition that always holds).
  std::string sql = "{tenant:" + alias + "} AND " + alias + ".classification_rank <= ? AND (" +
                    (r.every_group ? std::string("1 = 1") : alias + ".acl = ''");
  params.emplace_back(static_cast<int64_t>(r.clearance));
  for (size_t i = 0; i < r.groups.size() && i < 64; ++i) {
    // Group names match whatever their case (as directories compare them),
    // the same on every engine: both fold ASCII letters only.
    sql += " OR LOWER(" + alias + ".acl) LIKE ? ESCAPE '\\'";
    params.emplace_back("% " + LikeEscaped(AsciiLower(r.groups[i])) + " %");
  }
  return sql + ")";
}

std::string TermToken(const std::string& term) {
  return "t" + Sha256Hex(term).substr(0, 16);
}

std::string IndexTableName(const std::string& tenant_id) {
  return "kn_index_" + Sha256Hex(tenant_id).substr(0, 16);
}

std::string IndexTerms(const std::string& text) {
  std::string out;
  for (const auto& t : TextAnalyzer::Terms(text)) out += (out.empty() ? "" : " ") + TermToken(t);
  return out;
}

std::string PassageText(const std::string& title, const std::string& heading_path,
                        const std::string& text) {
  // A long title would use up the embedder's input before the text.
  const std::string_view head = Utf8Prefix(title, 200);
  const bool titled = !head.empty() && heading_path.rfind(title, 0) != 0;
  return (titled ? std::string(head) + "\n" : std::string()) + heading_path + "\n" + text;
}

}  // namespace daulat::knowledge::internal
