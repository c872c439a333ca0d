#pragma once

#include <string>
#include <vector>

#include "common/status.h"

// Internal to TenantScope: reading an SQL statement far enough to check that
// every table it names is filtered to the tenant.
namespace daulat::store::internal {

// A plain SQL identifier: 1-64 ASCII letters, digits or '_'.
bool IsIdentifier(const std::string& s);

// Just past the string literal that opens at `open` ('' inside is a quote);
// npos when it never closes.
size_t LiteralEnd(const std::string& sql, size_t open);

// One lexical piece of a statement: a word, one punctuation character, a
// string literal (kept whole) or a tenant marker ("{tenant:alias}").
struct Token {
  enum Kind { kWord, kPunct, kLiteral, kMarker } kind;
  std::string text;  // for a marker: its alias, "" when bare
};
Result<std::vector<Token>> Tokens(const std::string& sql);

struct TableReference {
  std::string table;
  std::string alias;  // "" when unaliased
};
// The tables named after FROM, JOIN and UPDATE. Comma joins are refused:
// the second table would escape the check.
Result<std::vector<TableReference>> TablesNamed(const std::vector<Token>& tokens);

// `tenant_id = ?` (or `x.tenant_id = ?`) written by the caller.
bool FiltersTenantByHand(const std::vector<Token>& tokens);

}  // namespace daulat::store::internal
