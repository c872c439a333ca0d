#include "store/database.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <set>
#include <unordered_map>

#include "common/clock.h"
#include "store/statement_scanner.h"

namespace daulat::store {
namespace {

using internal::FiltersTenantByHand;
using internal::IsIdentifier;
using internal::LiteralEnd;
using internal::TablesNamed;
using internal::Token;
using internal::Tokens;

// "a, b DESC, c ASC": identifiers with an optional direction.
bool IsOrderBy(const std::string& s) {
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    std::string part = s.substr(pos, comma - pos);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    for (const char* dir : {" DESC", " ASC"}) {
      const std::string d(dir);
      if (part.size() > d.size() && part.compare(part.size() - d.size(), d.size(), d) == 0)
        part.resize(part.size() - d.size());
    }
    if (!IsIdentifier(part)) return false;
    pos = comma + 1;
  }
  return true;
}

Status CheckIdentifiers(const std::string& table, const std::vector<std::string>& columns) {
  if (!IsIdentifier(table)) return InvalidArgument("'" + table + "' is not a table name");
  for (const auto& c : columns) {
    if (!IsIdentifier(c)) return InvalidArgument("'" + c + "' is not a column name");
  }
  return Status::Ok();
}

// A column to select: a plain identifier, or COUNT(*), COUNT(c), MAX(c),
// MIN(c) or SUM(c) of one.
bool IsSelectable(const std::string& s) {
  if (IsIdentifier(s)) return true;
  const size_t open = s.find('(');
  if (open == std::string::npos || s.back() != ')') return false;
  const std::string fn = s.substr(0, open);
  const std::string arg = s.substr(open + 1, s.size() - open - 2);
  if (fn == "COUNT" && arg == "*") return true;
  return (fn == "COUNT" || fn == "MAX" || fn == "MIN" || fn == "SUM") && IsIdentifier(arg);
}

}  // namespace

int64_t Row::Int(size_t i) const {
  const Value& v = values.at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

double Row::Real(size_t i) const {
  const Value& v = values.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string Row::Text(size_t i) const {
  const Value& v = values.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Bytes>(&v)) return b->data;
  if (const auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return {};
}

Result<int> Database::SchemaVersion(const std::string& component) {
  // Under the write lock: nodes starting together must not race to create
  // the table (PostgreSQL's catalog refuses the second CREATE).
  auto tx = Begin();
  if (!tx.ok()) return tx.status();
  DAULAT_RETURN_IF_ERROR((*tx)->Execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version "
      "INTEGER NOT NULL, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))"));
  auto rows =
      (*tx)->Query("SELECT MAX(version) FROM schema_migrations WHERE component = ?", {component});
  if (!rows.ok()) return rows.status();
  DAULAT_RETURN_IF_ERROR((*tx)->Commit());
  return rows->empty() || (*rows)[0].IsNull(0) ? 0 : static_cast<int>((*rows)[0].Int(0));
}

// schema_history.cc: what this program knows, for reports and upgrade tests.
void RecordKnownMigrations(const std::string& component, const std::vector<Migration>& list);

Status Database::Migrate(const std::string& component, const std::vector<Migration>& migrations) {
  RecordKnownMigrations(component, migrations);
  auto current = SchemaVersion(component);
  if (!current.ok()) return current.status();
  int known = 0;
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return InvalidArgument("migrations must be numbered 1, 2, 3, ... without gaps");
    }
    known = migrations[i].version;
  }
  if (*current > known) {
    return FailedPrecondition("the database's " + component + " schema is at version " +
                              std::to_string(*current) + ", newer than this program knows (" +
                              std::to_string(known) + "): upgrade daulat");
  }
  for (const auto& m : migrations) {
    if (m.version <= *current) continue;
    auto tx = Begin();
    if (!tx.ok()) return tx.status();
    // Another process may have applied it while this one waited for the write lock.
    auto done = (*tx)->Query("SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                             {component, int64_t{m.version}});
    if (!done.ok()) return done.status();
    if (!done->empty()) continue;
    if (Status st = (*tx)->Execute(MigrationSql(m)); !st.ok()) {
      return Status(st.code(), "migration " + std::to_string(m.version) + " (" + m.name +
                                   ") failed: " + st.message());
    }
    DAULAT_RETURN_IF_ERROR((*tx)->Execute(
        "INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
        {component, int64_t{m.version}, m.name, UtcTimestamp(std::time(nullptr))}));
    DAULAT_RETURN_IF_ERROR((*tx)->Commit());
  }
  return Status::Ok();
}

Status TenantScope::Insert(const std::string& table, const std::vector<std::string>& columns,
                           const std::vector<Value>& values) {
  DAULAT_RETURN_IF_ERROR(CheckIdentifiers(table, columns));
  if (columns.size() != values.size())
    return InvalidArgument("columns and values differ in number");
  std::string names = "tenant_id";
  std::string marks = "?";
  for (const auto& c : columns) {
    if (c == "tenant_id")
      return InvalidArgument("tenant_id is set by the scope, not by the caller");
    names += ", " + c;
    marks += ", ?";
  }
  std::vector<Value> params = {tenant_};
  params.insert(params.end(), values.begin(), values.end());
  return runner_.Execute("INSERT INTO " + table + " (" + names + ") VALUES (" + marks + ")",
                         params);
}

Result<std::vector<Row>> TenantScope::Select(const std::string& table,
                                             const std::vector<std::string>& columns,
                                             const std::string& where,
                                             const std::vector<Value>& params,
                                             const std::string& order_by, int64_t limit) {
  DAULAT_RETURN_IF_ERROR(CheckIdentifiers(table, {}));
  for (const auto& c : columns) {
    if (!IsSelectable(c)) return InvalidArgument("'" + c + "' is not a column to select");
  }
  if (!order_by.empty() && !IsOrderBy(order_by))
    return InvalidArgument("'" + order_by + "' is not a list of columns to order by");
  std::string cols;
  for (const auto& c : columns) cols += (cols.empty() ? "" : ", ") + c;
  std::string sql = "SELECT " + cols + " FROM " + table + " WHERE tenant_id = ?";
  if (!where.empty()) sql += " AND (" + where + ")";
  if (!order_by.empty()) sql += " ORDER BY " + order_by;
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  std::vector<Value> all = {tenant_};
  all.insert(all.end(), params.begin(), params.end());
  return runner_.Query(sql, all);
}

Result<int64_t> TenantScope::Update(const std::string& table,
                                    const std::vector<std::string>& columns,
                                    const std::vector<Value>& values, const std::string& where,
                                    const std::vector<Value>& params) {
  DAULAT_RETURN_IF_ERROR(CheckIdentifiers(table, columns));
  if (columns.empty() || columns.size() != values.size())
    return InvalidArgument("columns and values differ in number");
  std::string set;
  for (const auto& c : columns) {
    if (c == "tenant_id") return InvalidArgument("a row cannot move to another tenant");
    set += (set.empty() ? "" : ", ") + c + " = ?";
  }
  std::string sql = "UPDATE " + table + " SET " + set + " WHERE tenant_id = ?";
  if (!where.empty()) sql += " AND (" + where + ")";
  sql += " RETURNING 1";
  std::vector<Value> all = values;
  all.emplace_back(tenant_);
  all.insert(all.end(), params.begin(), params.end());
  auto rows = runner_.Query(sql, all);
  if (!rows.ok()) return rows.status();
  return static_cast<int64_t>(rows->size());
}

Result<int64_t> TenantScope::Delete(const std::string& table, const std::string& where,
                                    const std::vector<Value>& params) {
  DAULAT_RETURN_IF_ERROR(CheckIdentifiers(table, {}));
  std::string sql = "DELETE FROM " + table + " WHERE tenant_id = ?";
  if (!where.empty()) sql += " AND (" + where + ")";
  sql += " RETURNING 1";
  std::vector<Value> all = {tenant_};
  all.insert(all.end(), params.begin(), params.end());
  auto rows = runner_.Query(sql, all);
  if (!rows.ok()) return rows.status();
  return static_cast<int64_t>(rows->size());
}

Result<bool> TenantScope::HasTenantColumn(const std::string& table) {
  // Columns are added by migrations and never dropped: an answer about an
  // existing table stays true for the life of the process.
  static std::mutex mu;
  static std::unordered_map<std::string, bool> known;
  {
    std::lock_guard lock(mu);
    if (auto it = known.find(table); it != known.end()) return it->second;
  }
  auto columns = runner_.Columns(table);
  if (!columns.ok()) return columns.status();
  const bool has = std::find(columns->begin(), columns->end(), "tenant_id") != columns->end();
  if (!columns->empty()) {
    std::lock_guard lock(mu);
    known[table] = has;
  }
  return has;
}

Result<std::string> TenantScope::Bind(const std::string& sql, const std::vector<Value>& params,
                                      std::vector<Value>& bound) {
  auto tokens = Tokens(sql);
  if (!tokens.ok()) return tokens.status();
  if (FiltersTenantByHand(*tokens))
    return InvalidArgument("a scoped statement marks its tenant filter with {tenant}");
  auto tables = TablesNamed(*tokens);
  if (!tables.ok()) return tables.status();
  std::set<std::string> marked;
  for (const auto& t : *tokens) {
    if (t.kind == Token::kMarker) marked.insert(t.text);
  }
  for (const auto& ref : *tables) {
    auto has = HasTenantColumn(ref.table);
    if (!has.ok()) return has.status();
    const bool filtered = ref.alias.empty() ? marked.count("") + marked.count(ref.table) > 0
                                            : marked.count(ref.alias) > 0;
    if (*has && !filtered)
      return InvalidArgument("'" + ref.table + "' is read without its tenant filter");
  }
  // Rewritten from the original text, so literals and spacing stay as written.
  std::string out;
  size_t next_param = 0;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'') {
      const size_t end = LiteralEnd(sql, i);  // Tokens() proved it terminated
      out += sql.substr(i, end - i);
      i = end;
    } else if (c == '{') {
      const size_t close = sql.find('}', i);
      const std::string inner = sql.substr(i + 1, close - i - 1);
      out += inner == "tenant" ? std::string("tenant_id = ?") : inner.substr(7) + ".tenant_id = ?";
      bound.emplace_back(tenant_);
      i = close + 1;
    } else if (c == '?') {
      if (next_param >= params.size())
        return InvalidArgument("the statement has more placeholders than parameters");
      out += '?';
      bound.push_back(params[next_param++]);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  if (next_param != params.size())
    return InvalidArgument("the statement has fewer placeholders than parameters");
  if (marked.empty()) return InvalidArgument("a scoped statement needs a {tenant} marker");
  return out;
}

Result<std::vector<Row>> TenantScope::Query(const std::string& sql,
                                            const std::vector<Value>& params) {
  std::vector<Value> bound;
  auto text = Bind(sql, params, bound);
  if (!text.ok()) return text.status();
  return runner_.Query(*text, bound);
}

Status TenantScope::Execute(const std::string& sql, const std::vector<Value>& params) {
  std::vector<Value> bound;
  auto text = Bind(sql, params, bound);
  if (!text.ok()) return text.status();
  return runner_.Execute(*text, bound);
}

}  // namespace daulat::store
