// The file's tables as Quarry sees them: names, columns, declared types, primary keys and rowids,
// and why a table cannot sync.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/source/sqlite/sqlite_source_impl.h"

namespace quarry::plugins::sqlite_source {
namespace {

using sql::Quote;

// Ordinary tables of the main schema, sorted by name: not sqlite_* (internal), views or virtual
// tables.
Result<std::vector<std::string>> ListTables(sqlite3* db, const std::string& path) {
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st, Prepare(db, path,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
                       "ORDER BY name",
                       "list tables"));
  std::vector<std::string> names;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    names.emplace_back(ColumnText(st.get(), 0));  // the bytes as stored, valid UTF-8 or not
  }
  if (rc != SQLITE_DONE) return SqliteError(db, path, "list tables");
  return names;
}

// The table's own name, or — for a name that is empty or not valid UTF-8 — a stand-in that says
// which table is meant: `""`, or the name with \xNN for each byte that is not UTF-8.
std::string ShownName(std::string_view name) {
  return name.empty() ? "\"\"" : schema::PrintableName(name);
}

// Why the rows of a table cannot be synced, or "" when they can.
std::string SyncProblem(const TableInfo& info) {
  if (auto p = schema::NameProblem(info.name); !p.empty()) {
    return fmt::format("the table name is {}; rename the table in the database to sync it", p);
  }
  for (const auto& c : info.columns) {
    if (auto p = schema::NameProblem(c.name); !p.empty()) {
      return fmt::format("column \"{}\": the name is {}; rename the column in the database",
                         schema::PrintableName(c.name), p);
    }
    if (schema::IsCqColumn(c.name)) {
      return fmt::format(
          "column {0}: the name {0} is reserved for the column Quarry adds to every table; "
          "rename the column in the database",
          c.name);
    }
  }
  return "";
}

}  // namespace

types::TypePtr TypeFromDeclared(std::string_view declared) {
  const std::string t = Upper(declared);
  std::string name = t.substr(0, t.find('('));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name == "BOOL" || name == "BOOLEAN") return types::boolean();
  if (name == "TIMESTAMP" || name == "DATETIME" || name == "TIMESTAMPTZ" ||
      name.starts_with("TIMESTAMP WITH")) {
    return types::timestamp();
  }
  if (name == "DATE") return types::date32();
  if (name == "JSON") return types::json();
  if (name == "UUID") return types::uuid();
  auto has = [&](std::string_view part) { return t.find(part) != std::string::npos; };
  if (has("INT")) return types::int64();
  if (has("CHAR") || has("CLOB") || has("TEXT")) return types::utf8();
  if (has("BLOB") || t.empty()) return types::binary();
  if (has("REAL") || has("FLOA") || has("DOUB")) return types::float64();
  // NUMERIC affinity (NUMERIC, DECIMAL(10,2), …): text keeps decimals exact.
  return types::utf8();
}

Result<TableInfo> InspectTable(sqlite3* db, const std::string& path, const std::string& name) {
  TableInfo info;
  info.name = name;
  const std::string what = fmt::format("table {}: read columns", name);
  QUARRY_ASSIGN_OR_RETURN(Stmt st,
                          Prepare(db, path, "PRAGMA table_info(" + Quote(name) + ")", what));
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    ColumnInfo c;
    c.name = ColumnText(st.get(), 1);
    const auto* decl = sqlite3_column_text(st.get(), 2);
    c.declared = decl != nullptr ? reinterpret_cast<const char*>(decl) : "";
    c.not_null = sqlite3_column_int(st.get(), 3) != 0;
    c.pk = sqlite3_column_int(st.get(), 5);
    info.columns.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return SqliteError(db, path, what);
  if (info.columns.empty()) {
    return Status::IOError(fmt::format("sqlite source {}: no table {}", path, name));
  }
  std::vector<const ColumnInfo*> keys;
  for (const auto& c : info.columns) {
    if (c.pk > 0) keys.push_back(&c);
  }
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->pk < b->pk; });
  for (const auto* k : keys) info.primary_key.push_back(k->name);
  // A user column may shadow some of the rowid's names; a WITHOUT ROWID table has none.
  for (const char* candidate : {"rowid", "_rowid_", "oid"}) {
    const bool shadowed = std::any_of(info.columns.begin(), info.columns.end(),
                                      [&](auto& c) { return EqualsIgnoreCase(c.name, candidate); });
    if (shadowed) continue;
    sqlite3_stmt* probe = nullptr;
    const std::string sql = fmt::format("SELECT {} FROM {} LIMIT 0", candidate, Quote(name));
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &probe, nullptr) == SQLITE_OK) {
      info.rowid = candidate;
    }
    sqlite3_finalize(probe);
    break;
  }
  return info;
}

Result<std::vector<Discovered>> DiscoverTables(const std::string& path) {
  QUARRY_ASSIGN_OR_RETURN(Db db, OpenReadOnly(path));
  QUARRY_ASSIGN_OR_RETURN(auto names, ListTables(db.get(), path));
  std::vector<Discovered> found;
  std::set<std::string> shown;
  for (const auto& raw : names) {
    Discovered d;
    QUARRY_ASSIGN_OR_RETURN(d.info, InspectTable(db.get(), path, raw));
    d.name = ShownName(raw);
    d.problem = SyncProblem(d.info);
    found.push_back(std::move(d));
  }
  for (const auto& d : found) {
    if (!shown.insert(d.name).second) {
      return Status::Invalid(fmt::format(
          "sqlite source {}: two tables would both be shown as \"{}\" (one of their names is "
          "not valid UTF-8 or is empty); rename one in the database",
          path, d.name));
    }
  }
  return found;
}

}  // namespace quarry::plugins::sqlite_source
