// The catalog as Quarry sees it: tables, views and their columns in one query, PostgreSQL types
// mapped to Quarry types, Quarry names, and the `incremental` entries resolved to tables.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/source/postgresql/postgresql_source_impl.h"

namespace quarry::plugins::postgresql_source {
namespace {

using sql::Join;
using sql::Literal;
using sql::Quote;
using types::TypeId;

// Tables in `public` keep their name; tables of other schemas are `<schema>_<table>`. Any
// characters (spaces, quotes, capitals, any script) are kept; only bytes that are not UTF-8 (from
// a SQL_ASCII database) are shown as \xNN.
std::string QuarryName(std::string_view schema, std::string_view rel) {
  return schema::PrintableName(schema == "public" ? std::string(rel)
                                                  : fmt::format("{}_{}", schema, rel));
}

// Why the rows of a table cannot be synced, or "" when they can.
std::string SyncProblem(const TableInfo& t) {
  if (auto p = schema::NameProblem(t.schema + "." + t.relname); !p.empty()) {
    return fmt::format("the table name is {}; rename the table to sync it", p);
  }
  for (const auto& c : t.columns) {
    if (auto p = schema::NameProblem(c.name); !p.empty()) {
      return fmt::format(
          "column \"{}\": the name is {}; rename the column (or sync a view that renames it)",
          schema::PrintableName(c.name), p);
    }
    if (schema::IsCqColumn(c.name)) {
      return fmt::format(
          "column {0}: the name {0} is reserved for the column Quarry adds to every table; "
          "rename the column (or sync a view that renames it)",
          c.name);
    }
  }
  return "";
}

}  // namespace

Mapping MapScalar(uint32_t oid) {
  switch (oid) {
    case 16:
      return {types::boolean(), Wire::kBool};
    case 21:
      return {types::int16(), Wire::kInt2};
    case 23:
      return {types::int32(), Wire::kInt4};
    case 20:
      return {types::int64(), Wire::kInt8};
    case 700:
      return {types::float32(), Wire::kFloat4};
    case 701:
      return {types::float64(), Wire::kFloat8};
    case 18:    // "char"
    case 19:    // name
    case 25:    // text
    case 1042:  // char(n)
    case 1043:  // varchar
      return {types::utf8(), Wire::kBytes};
    case 17:
      return {types::binary(), Wire::kBytes};
    case 1114:  // timestamp
    case 1184:  // timestamptz
      return {types::timestamp(), Wire::kTimestamp};
    case 1082:
      return {types::date32(), Wire::kDate};
    case 2950:
      return {types::uuid(), Wire::kUuid};
    case 1700:
      return {types::utf8(), Wire::kBytes, true};  // numeric: exact as text
    case 114:                                      // json
    case 3802:                                     // jsonb
      return {types::json(), Wire::kBytes, true};
    case 869:  // inet
    case 650:  // cidr
      return {types::inet(), Wire::kBytes, true};
    case 829:
      return {types::mac(), Wire::kBytes, true};
    default:
      return {types::utf8(), Wire::kBytes, true, false};
  }
}

Mapping ColumnInfo::mapping() const {
  if (!is_array) return MapScalar(oid);
  Mapping m = MapScalar(elem_oid);
  if (!m.known) return MapScalar(oid);
  m.type = types::list(m.type);
  return m;
}

std::string ColumnInfo::Select() const {
  const Mapping m = mapping();
  if (!m.text_cast) return Quote(name);
  return Quote(name) + (is_array && m.known ? "::text[]" : "::text");
}

Result<std::vector<TableInfo>> Discover(pg::Connection* conn,
                                        const std::vector<std::string>& schemas) {
  std::string filter = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";
  if (!schemas.empty()) {
    std::vector<std::string> lits;
    for (const auto& s : schemas) lits.push_back(Literal(s));
    filter = fmt::format("n.nspname IN ({})", Join(lits));
  }
  const std::string sql = fmt::format(R"(
    SELECT n.nspname, c.relname, c.relkind, a.attname, a.attnotnull,
           format_type(a.atttypid, a.atttypmod), bt.oid, bt.typcategory = 'A', bt.typelem,
           COALESCE((SELECT k.n FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY
                     AS k(attnum, n)
                     WHERE i.indrelid = c.oid AND i.indisprimary AND k.attnum = a.attnum), 0)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {}
    ORDER BY n.nspname, c.relname, a.attnum)",
                                      filter);
  PgResult r(conn->Exec(sql));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return PgError(conn, "read catalog");
  std::vector<TableInfo> out;
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    auto v = [&](int c) { return std::string(PQgetvalue(r.get(), row, c)); };
    if (out.empty() || out.back().schema != v(0) || out.back().relname != v(1)) {
      TableInfo t;
      t.schema = v(0);
      t.relname = v(1);
      t.kind = v(2)[0];
      t.name = QuarryName(t.schema, t.relname);
      out.push_back(std::move(t));
    }
    ColumnInfo c;
    c.name = v(3);
    c.not_null = v(4) == "t";
    c.pg_type = v(5);
    c.oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(r.get(), row, 6), nullptr, 10));
    c.is_array = v(7) == "t";
    c.elem_oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(r.get(), row, 8), nullptr, 10));
    c.pk = std::atoi(PQgetvalue(r.get(), row, 9));
    out.back().columns.push_back(std::move(c));
  }
  for (auto& t : out) {
    std::vector<const ColumnInfo*> keys;
    for (const auto& c : t.columns) {
      if (c.pk > 0) keys.push_back(&c);
    }
    std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->pk < b->pk; });
    for (const auto* k : keys) t.primary_key.push_back(k->name);
    t.problem = SyncProblem(t);
  }
  return out;
}

// Quarry table name -> cursor column, for every `incremental` entry; checks that each names one
// discovered table and one of its columns.
Result<std::map<std::string, std::string>> ResolveIncremental(const Options& o,
                                                              const std::vector<TableInfo>& infos) {
  std::map<std::string, std::string> out;
  for (const auto& [key, column] : o.incremental) {
    // "schema.table" first; then the Quarry name (which may hold a dot of its own).
    const TableInfo* info = nullptr;
    for (const auto& t : infos) {
      if (t.Display() == key) info = &t;
    }
    for (const auto& t : infos) {
      if (info == nullptr && t.name == key) info = &t;
    }
    if (info == nullptr) {
      return Status::Invalid(fmt::format(
          "spec.incremental.{}: no table {} (write schema.table, or the table name for tables in "
          "public)",
          key, key));
    }
    auto col = std::find_if(info->columns.begin(), info->columns.end(),
                            [&](auto& c) { return c.name == column; });
    if (col == info->columns.end()) {
      std::vector<std::string> names;
      for (const auto& c : info->columns) names.push_back(c.name);
      return Status::Invalid(
          fmt::format("spec.incremental.{}: table {} has no column {} (columns: {})", key,
                      info->Display(), column, Join(names)));
    }
    const auto id = col->mapping().type->id();
    if (id == TypeId::kJson || id == TypeId::kList || id == TypeId::kBinary ||
        id == TypeId::kBool) {
      return Status::Invalid(fmt::format(
          "spec.incremental.{}: cursor column {} is {}, which cannot hold a cursor; use an "
          "integer, numeric, text, date or timestamp column",
          key, column, col->pg_type));
    }
    out[info->name] = column;
  }
  return out;
}

}  // namespace quarry::plugins::postgresql_source
