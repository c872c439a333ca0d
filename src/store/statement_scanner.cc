#include "store/statement_scanner.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace daulat::store::internal {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Words that may follow a table name and are not its alias.
bool EndsTableReference(const std::string& word) {
  static const std::set<std::string> kWords = {
      "WHERE", "JOIN", "LEFT",  "INNER", "CROSS",  "ON",        "NOT",    "ORDER",    "GROUP",
      "LIMIT", "SET",  "USING", "UNION", "HAVING", "RETURNING", "EXCEPT", "INTERSECT"};
  return kWords.count(Upper(word)) > 0;
}

}  // namespace

bool IsIdentifier(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

size_t LiteralEnd(const std::string& sql, size_t open) {
  for (size_t j = open + 1; j < sql.size(); ++j) {
    if (sql[j] != '\'') continue;
    if (j + 1 < sql.size() && sql[j + 1] == '\'') {
      ++j;
      continue;
    }
    return j + 1;
  }
  return std::string::npos;
}

Result<std::vector<Token>> Tokens(const std::string& sql) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '\'') {
      // E'...' reads backslashes as escapes on PostgreSQL, not here.
      if (i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i == 1 || !IsWordChar(sql[i - 2])))
        return InvalidArgument("E'...' strings are not allowed in a tenant-scoped statement");
      const size_t end = LiteralEnd(sql, i);
      if (end == std::string::npos)
        return InvalidArgument("unterminated string literal in a statement");
      out.push_back({Token::kLiteral, sql.substr(i, end - i)});
      i = end;
    } else if (c == '{') {
      const size_t close = sql.find('}', i);
      if (close == std::string::npos) return InvalidArgument("unterminated '{' in a statement");
      const std::string inner = sql.substr(i + 1, close - i - 1);
      if (inner == "tenant") {
        out.push_back({Token::kMarker, ""});
      } else if (inner.rfind("tenant:", 0) == 0 && IsIdentifier(inner.substr(7))) {
        out.push_back({Token::kMarker, inner.substr(7)});
      } else {
        return InvalidArgument("'{" + inner + "}' is not a tenant marker");
      }
      i = close + 1;
    } else if ((c == '-' || c == '/') && i + 1 < sql.size() &&
               sql[i + 1] == (c == '-' ? '-' : '*')) {
      // A comment could hide a placeholder from one reader of the statement
      // and not from another.
      return InvalidArgument("comments are not allowed in a tenant-scoped statement");
    } else if (c == '"' || c == '`' || c == '[' || c == '$') {
      return InvalidArgument(std::string("'") + c +
                             "' (quoted names, dollar quoting) is not allowed in a tenant-scoped "
                             "statement: its tables could escape the tenant check");
    } else if (IsWordChar(c)) {
      size_t j = i;
      while (j < sql.size() && IsWordChar(sql[j])) ++j;
      out.push_back({Token::kWord, sql.substr(i, j - i)});
      i = j;
    } else {
      out.push_back({Token::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

Result<std::vector<TableReference>> TablesNamed(const std::vector<Token>& tokens) {
  std::vector<TableReference> out;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].kind != Token::kWord) continue;
    const std::string w = Upper(tokens[i].text);
    if (w != "FROM" && w != "JOIN" && w != "UPDATE") continue;
    if (tokens[i + 1].kind != Token::kWord) continue;  // a subquery: its own FROM is seen later
    const std::string next_word = Upper(tokens[i + 1].text);
    if (next_word == "ONLY" || next_word == "LATERAL")
      return InvalidArgument(next_word + " after " + w +
                             " is not allowed in a tenant-scoped statement: the table after it "
                             "would escape the tenant check");
    TableReference ref{tokens[i + 1].text, ""};
    size_t next = i + 2;
    if (next < tokens.size() && tokens[next].kind == Token::kPunct && tokens[next].text == ".")
      return InvalidArgument("name '" + ref.table + "." + "...' without its schema: tables are " +
                             "checked by their plain names");
    if (next < tokens.size() && tokens[next].kind == Token::kWord &&
        Upper(tokens[next].text) == "AS")
      ++next;
    if (next < tokens.size() && tokens[next].kind == Token::kWord &&
        !EndsTableReference(tokens[next].text)) {
      ref.alias = tokens[next].text;
      ++next;
    }
    if (next < tokens.size() && tokens[next].kind == Token::kPunct && tokens[next].text == ",")
      return InvalidArgument("join '" + ref.table + "' with JOIN, not a comma");
    out.push_back(ref);
  }
  return out;
}

bool FiltersTenantByHand(const std::vector<Token>& tokens) {
  for (size_t i = 0; i + 2 < tokens.size(); ++i) {
    if (tokens[i].kind == Token::kWord && tokens[i].text == "tenant_id" &&
        tokens[i + 1].text == "=" && tokens[i + 2].text == "?")
      return true;
  }
  return false;
}

}  // namespace daulat::store::internal
