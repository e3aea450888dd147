#include "plugins/source/postgresql/postgresql_source.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/common/pg_connection.h"
#include "plugins/common/sql_text.h"
#include "quarry/plugin/spec_reader.h"
#include "quarry/scheduler/scheduler.h"

namespace quarry::plugins {
namespace {

using sql::Join;
using sql::Literal;
using sql::Quote;

using scheduler::ResolveContext;
using scheduler::RowWriter;
using types::ArrayBuilder;
using types::TypeId;

// The scheduler's `_cq_source_name`, `_cq_sync_time`, `_cq_id`, `_cq_parent_id`, which lead every
// table of a SyncRequest.
constexpr size_t kCqColumns = 4;

struct Options {
  std::string conninfo;
  // As configured: "schema.table" or a Quarry table name -> cursor column.
  std::vector<std::pair<std::string, std::string>> incremental;
  std::vector<std::string> schemas;  // empty: every non-system schema
  int64_t chunk_size = 10'000;
  int64_t concurrency = 4;
  pg::Timeouts timeouts;
};

using Conn = std::unique_ptr<pg::Connection>;

struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

// The one place libpq errors become a Status: "postgresql source: <what>: <message>".
Status PgError(const pg::Connection* conn, std::string_view what) {
  return Status::IOError(fmt::format("postgresql source: {}: {}", what, conn->ErrorMessage()));
}

// A connection whose session settings make text forms predictable: UTC timestamps, ISO dates,
// UTF-8, shortest-exact floats, backslashes literal in '…'.
Result<Conn> Connect(const Options& o) {
  auto opened = pg::Connection::Open(o.conninfo, o.timeouts);
  if (!opened.ok()) {
    return Status::IOError(fmt::format("postgresql source: {}", opened.status().message()));
  }
  Conn conn = opened.MoveValue();
  PgResult r(
      conn->Exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                 "SET client_encoding = 'UTF8'; SET extra_float_digits = 1; "
                 "SET standard_conforming_strings = on"));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return PgError(conn.get(), "connect");
  return conn;
}

Status Exec(pg::Connection* conn, const std::string& sql, std::string_view what) {
  PgResult r(conn->Exec(sql));
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, what);
  return Status::OK();
}

// ---- types ---------------------------------------------------------------------------------

// How a value arrives in the binary COPY stream.
enum class Wire : uint8_t {
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kBytes,
  kTimestamp,
  kDate,
  kUuid
};

// The Quarry type of a PostgreSQL type and how to read it. `text_cast`: selected as `::text` and
// read as text (numeric, json, inet, …, and types without a mapping of their own).
struct Mapping {
  types::TypePtr type;
  Wire wire = Wire::kBytes;
  bool text_cast = false;
  bool known = true;  // false: no mapping of its own (read through its text form)
};

// Built-in type OIDs (src/include/catalog/pg_type.dat), stable across versions.
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

struct ColumnInfo {
  std::string name;
  std::string pg_type;  // format_type(): "integer", "character varying(40)", "text[]", …
  uint32_t oid = 0;     // the type (a domain's base type)
  bool is_array = false;
  uint32_t elem_oid = 0;
  bool not_null = false;
  int pk = 0;  // position in the primary key, from 1; 0 when not part of it

  // Arrays of mapped element types are lists; other arrays are text.
  Mapping mapping() const {
    if (!is_array) return MapScalar(oid);
    Mapping m = MapScalar(elem_oid);
    if (!m.known) return MapScalar(oid);
    m.type = types::list(m.type);
    return m;
  }
  std::string Select() const {
    const Mapping m = mapping();
    if (!m.text_cast) return Quote(name);
    return Quote(name) + (is_array && m.known ? "::text[]" : "::text");
  }
};

struct TableInfo {
  std::string schema;
  std::string relname;
  char kind = 'r';   // pg_class.relkind
  std::string name;  // the Quarry name
  std::vector<ColumnInfo> columns;
  std::vector<std::string> primary_key;  // in key order
  // Why the table cannot sync ("" when it can). Such a table is still listed, so that patterns
  // can select or skip it; a sync that selects it reports this as its table error.
  std::string problem;

  std::string Qualified() const { return Quote(schema) + "." + Quote(relname); }
  // schema.table, printable (see QuarryName).
  std::string Display() const { return schema::PrintableName(schema + "." + relname); }
};

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

// Tables, partitioned tables (not their partitions), views, materialized views and foreign
// tables of the non-system schemas (or of `schemas`), sorted by schema and name.
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

// ---- binary COPY values --------------------------------------------------------------------

template <typename T>
T ReadBe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
    if constexpr (sizeof(T) == 2) {
      v = static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
    } else if constexpr (sizeof(T) == 4) {
      v = static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
    } else {
      v = static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
    }
  }
  return v;
}

constexpr int64_t kPgEpochMicros = 946'684'800'000'000LL;  // 2000-01-01 in Unix microseconds
constexpr int32_t kPgEpochDays = 10'957;                   // 2000-01-01 in Unix days

// Appends one non-null scalar of `len` bytes at `p` to `b`. Errors say what is wrong with the
// value (the caller adds where).
Status AppendScalar(Wire wire, const char* p, int32_t len, ArrayBuilder& b) {
  static constexpr int kWidth[] = {1, 2, 4, 8, 4, 8, -1, 8, 4, 16};
  const int want = kWidth[static_cast<int>(wire)];
  if (want >= 0 && len != want) {
    return Status::Invalid(
        fmt::format("unexpected {}-byte value for {}", len, b.type()->ToString()));
  }
  switch (wire) {
    case Wire::kBool:
      b.AppendBool(*p != 0);
      break;
    case Wire::kInt2:
      b.Append<int16_t>(ReadBe<int16_t>(p));
      break;
    case Wire::kInt4:
      b.Append<int32_t>(ReadBe<int32_t>(p));
      break;
    case Wire::kInt8:
      b.Append<int64_t>(ReadBe<int64_t>(p));
      break;
    case Wire::kFloat4:
      b.Append<float>(std::bit_cast<float>(ReadBe<uint32_t>(p)));
      break;
    case Wire::kFloat8:
      b.Append<double>(std::bit_cast<double>(ReadBe<uint64_t>(p)));
      break;
    case Wire::kTimestamp: {
      const int64_t v = ReadBe<int64_t>(p);
      if (v == std::numeric_limits<int64_t>::max() || v == std::numeric_limits<int64_t>::min()) {
        return Status::Invalid(
            fmt::format("{}infinity is not a valid timestamp", v < 0 ? "-" : ""));
      }
      // PostgreSQL's range ends in 294276 AD; microseconds since 1970 in an int64 (Quarry's and
      // Arrow's timestamp) end in 294247: later values cannot be held, never wrapped around.
      int64_t unix_us = 0;
      if (__builtin_add_overflow(v, kPgEpochMicros, &unix_us)) {
        return Status::Invalid(
            "timestamp after 294247-01-10 04:00:54.775807 UTC, which microseconds since 1970 in "
            "64 bits (Quarry's timestamp type) cannot hold");
      }
      b.Append<int64_t>(unix_us);
      break;
    }
    case Wire::kDate: {
      const int32_t v = ReadBe<int32_t>(p);
      if (v == std::numeric_limits<int32_t>::max() || v == std::numeric_limits<int32_t>::min()) {
        return Status::Invalid(fmt::format("{}infinity is not a valid date", v < 0 ? "-" : ""));
      }
      b.Append<int32_t>(v + kPgEpochDays);
      break;
    }
    case Wire::kUuid:
    case Wire::kBytes:
      b.AppendBytes(std::string_view(p, static_cast<size_t>(len)));
      break;
  }
  return Status::OK();
}

// Appends one non-null array in PostgreSQL's binary array format to list builder `b`; the
// elements of a multi-dimensional array are flattened in storage order.
Status AppendArray(Wire wire, const char* p, int32_t len, ArrayBuilder& b) {
  auto bad = [] { return Status::Invalid("malformed binary array"); };
  if (len < 12) return bad();
  const int32_t ndim = ReadBe<int32_t>(p);
  if (ndim < 0 || len < 12 + 8 * ndim) return bad();
  int64_t count = ndim == 0 ? 0 : 1;
  for (int32_t d = 0; d < ndim; ++d) count *= ReadBe<int32_t>(p + 12 + 8 * d);
  const char* q = p + 12 + 8 * ndim;
  const char* end = p + len;
  ArrayBuilder& child = b.child();
  for (int64_t i = 0; i < count; ++i) {
    if (end - q < 4) return bad();
    const int32_t n = ReadBe<int32_t>(q);
    q += 4;
    if (n < 0) {
      child.AppendNull();
      continue;
    }
    if (end - q < n) return bad();
    QUARRY_RETURN_NOT_OK(AppendScalar(wire, q, n, child));
    q += n;
  }
  b.FinishList();
  return Status::OK();
}

// ---- reading one table ---------------------------------------------------------------------

// Reads one table into a RowWriter on its own connection, inside a read-only REPEATABLE READ
// transaction on the sync's snapshot. Not thread-safe; one per resolver call.
class TableReader {
 public:
  TableReader(const Options& o, const TableInfo& info, const schema::Table& table,
              const std::string& snapshot, const std::string* cursor_column)
      : o_(o), info_(info), table_(table), snapshot_(snapshot), cursor_column_(cursor_column) {}

  Status Run(const std::map<std::string, std::string>& state, RowWriter& out) {
    for (size_t c = kCqColumns; c < table_.columns.size(); ++c) {
      const auto& name = table_.columns[c].name;
      auto ci = std::find_if(info_.columns.begin(), info_.columns.end(),
                             [&](auto& x) { return x.name == name; });
      if (ci == info_.columns.end()) {
        return Status::Invalid(fmt::format("table {}: column {} no longer exists in {}",
                                           table_.name, name, info_.Display()));
      }
      columns_.push_back(&*ci);
      mappings_.push_back(ci->mapping());
    }
    QUARRY_ASSIGN_OR_RETURN(conn_, Connect(o_));
    if (cursor_column_ == nullptr) {
      QUARRY_RETURN_NOT_OK(Begin());
      QUARRY_RETURN_NOT_OK(
          Copy(fmt::format("SELECT {} FROM {}", SelectList(), info_.Qualified()), out).status());
      return Exec(conn_.get(), "COMMIT", What("commit"));
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c]->name == *cursor_column_) cursor_ = static_cast<int>(c);
    }
    if (cursor_ < 0) {
      return Status::Invalid(
          fmt::format("table {}: cursor column {} is not synced", table_.name, *cursor_column_));
    }
    auto saved = state.find(table_.name);
    return ReadIncremental(saved == state.end() ? nullptr : &saved->second, out);
  }

 private:
  std::string What(std::string_view what) const {
    return fmt::format("table {}: {}", table_.name, what);
  }

  Status Begin() {
    QUARRY_RETURN_NOT_OK(
        Exec(conn_.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", What("begin")));
    if (snapshot_.empty()) return Status::OK();
    return Exec(conn_.get(), "SET TRANSACTION SNAPSHOT " + Literal(snapshot_),
                What("set snapshot"));
  }

  std::string SelectList() const {
    std::vector<std::string> names;
    for (const auto* c : columns_) names.push_back(c->Select());
    return Join(names);
  }

  // Chunks end at the chunk_size-th cursor value from the start (or from the saved cursor) and
  // take in every row sharing that value; a checkpoint of the last value follows each chunk.
  // All chunks read the same snapshot, so a chunk with fewer values is the last one.
  Status ReadIncremental(const std::string* saved, RowWriter& out) {
    const ColumnInfo& col = *columns_[static_cast<size_t>(cursor_)];
    if (saved != nullptr) {
      // A saved value the column's type cannot read is the user's to fix; say so plainly.
      const char* values[] = {saved->c_str()};
      PgResult r(conn_->ExecParams("SELECT $1::" + col.pg_type, 1, values, nullptr, nullptr, 0));
      if (r == nullptr) return PgError(conn_.get(), What("check saved cursor"));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        return Status::Invalid(fmt::format(
            "table {}: saved cursor \"{}\" is not a valid {} for column {} (reset the state of "
            "this table to sync it from the start)",
            table_.name, *saved, col.pg_type, col.name));
      }
    }
    QUARRY_RETURN_NOT_OK(Begin());
    // Qualified: ORDER BY would read a bare name as the output column, which may be ::text.
    const std::string c = "src." + Quote(col.name);
    std::vector<std::string> order = {c};
    for (const auto& k : info_.primary_key) {
      if (k != col.name) order.push_back("src." + Quote(k));
    }
    std::optional<std::string> cur;
    if (saved != nullptr) cur = *saved;
    for (;;) {
      const std::string cond =
          cur ? fmt::format("{} > {}", c, Literal(*cur)) : fmt::format("{} IS NOT NULL", c);
      // The chunk's last cursor value, looked up first: a constant bound lets the server read
      // just the chunk's range of an index on the cursor.
      const std::string bound_sql = fmt::format(
          "SELECT {c}::text FROM {rel} AS src WHERE {cond} ORDER BY {c} OFFSET {skip} "
          "LIMIT 1",
          fmt::arg("c", c), fmt::arg("rel", info_.Qualified()), fmt::arg("cond", cond),
          fmt::arg("skip", o_.chunk_size - 1));
      PgResult bound(conn_->Exec(bound_sql));
      if (PQresultStatus(bound.get()) != PGRES_TUPLES_OK) {
        return PgError(conn_.get(), What("find chunk"));
      }
      const bool last_chunk = PQntuples(bound.get()) == 0;
      const std::string upper =
          last_chunk ? "" : fmt::format(" AND {} <= {}", c, Literal(PQgetvalue(bound.get(), 0, 0)));
      const std::string sql =
          fmt::format("SELECT {}, {}::text AS quarry_cursor FROM {} AS src WHERE {}{} ORDER BY {}",
                      SelectList(), c, info_.Qualified(), cond, upper, Join(order));
      QUARRY_ASSIGN_OR_RETURN(int64_t rows, Copy(sql, out));
      if (rows == 0) break;
      cur = last_cursor_;
      QUARRY_RETURN_NOT_OK(out.Checkpoint(table_.name, *cur));
      if (last_chunk) break;
    }
    return Exec(conn_.get(), "COMMIT", What("commit"));
  }

  // Runs `COPY (select) TO STDOUT (FORMAT binary)` and appends every row; returns the number of
  // rows. For incremental reads the select has one more column: the cursor as text.
  Result<int64_t> Copy(const std::string& select, RowWriter& out) {
    const std::string sql = "COPY (" + select + ") TO STDOUT (FORMAT binary)";
    {
      PgResult r(conn_->Exec(sql));
      if (PQresultStatus(r.get()) != PGRES_COPY_OUT) return PgError(conn_.get(), What("copy"));
    }
    pending_.clear();
    header_done_ = false;
    bool trailer = false;
    int64_t rows = 0;
    for (;;) {
      char* buf = nullptr;
      const int n = conn_->GetCopyData(&buf);
      if (n == -1) break;
      if (n < 0) return PgError(conn_.get(), What("copy"));
      Status st;
      if (pending_.empty()) {
        st = Parse(buf, static_cast<size_t>(n), out, &rows, &trailer);
      } else {
        pending_.append(buf, static_cast<size_t>(n));
        std::string data = std::move(pending_);
        pending_.clear();
        st = Parse(data.data(), data.size(), out, &rows, &trailer);
      }
      PQfreemem(buf);
      QUARRY_RETURN_NOT_OK(st);
    }
    PgResult r(conn_->GetResult());
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return PgError(conn_.get(), What("copy"));
    while (PgResult more{conn_->GetResult()}) {
    }
    if (!trailer || !pending_.empty()) {
      return Status::IOError(
          fmt::format("postgresql source: {}: copy ended inside a row", table_.name));
    }
    return rows;
  }

  // Appends the complete rows of data[0, size) and keeps an incomplete tail in pending_.
  Status Parse(const char* data, size_t size, RowWriter& out, int64_t* rows, bool* trailer) {
    const char* p = data;
    const char* end = data + size;
    if (!header_done_) {
      static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // + '\0'
      if (size < 19) {
        pending_.assign(p, size);
        return Status::OK();
      }
      if (std::memcmp(p, kSignature, 11) != 0) return Malformed("bad header");
      const uint32_t ext = ReadBe<uint32_t>(p + 15);
      if (size < 19 + ext) {
        pending_.assign(p, size);
        return Status::OK();
      }
      p += 19 + ext;
      header_done_ = true;
    }
    const int nfields = static_cast<int>(columns_.size()) + (cursor_ >= 0 ? 1 : 0);
    while (p < end) {
      if (end - p < 2) break;
      const int16_t count = ReadBe<int16_t>(p);
      if (count == -1) {
        *trailer = true;
        p += 2;
        continue;
      }
      if (count != nfields) {
        return Malformed(fmt::format("{} fields in a row, want {}", count, nfields));
      }
      // The whole row first: a row split across messages waits for the rest.
      const char* q = p + 2;
      bool complete = true;
      for (int f = 0; f < count; ++f) {
        if (end - q < 4) {
          complete = false;
          break;
        }
        const int32_t len = ReadBe<int32_t>(q);
        q += 4;
        if (len > 0) {
          if (end - q < len) {
            complete = false;
            break;
          }
          q += len;
        }
      }
      if (!complete) break;
      q = p + 2;
      ++read_;
      for (int f = 0; f < count; ++f) {
        const int32_t len = ReadBe<int32_t>(q);
        q += 4;
        if (f == static_cast<int>(columns_.size())) {
          last_cursor_.assign(q, static_cast<size_t>(std::max(len, 0)));
        } else if (len < 0) {
          out.column(f).AppendNull();
        } else {
          const Mapping& m = mappings_[static_cast<size_t>(f)];
          Status s = m.type->id() == TypeId::kList ? AppendArray(m.wire, q, len, out.column(f))
                                                   : AppendScalar(m.wire, q, len, out.column(f));
          if (!s.ok()) return RowError(f, s.message());
        }
        if (len > 0) q += len;
      }
      p = q;
      ++*rows;
      QUARRY_RETURN_NOT_OK(out.EndRow());
    }
    if (p < end) pending_.assign(p, static_cast<size_t>(end - p));
    return Status::OK();
  }

  Status Malformed(std::string_view what) const {
    return Status::IOError(
        fmt::format("postgresql source: {}: malformed copy data: {}", table_.name, what));
  }

  // "table t: column c, row N: …" with N the row's position, from 1, in the order this sync read
  // the table.
  Status RowError(int c, std::string_view problem) const {
    return Status::Invalid(fmt::format("table {}: column {}, row {}: {}", table_.name,
                                       columns_[static_cast<size_t>(c)]->name, read_, problem));
  }

  const Options& o_;
  const TableInfo& info_;
  const schema::Table& table_;  // with the _cq_* columns
  const std::string& snapshot_;
  const std::string* cursor_column_;        // null for full tables
  std::vector<const ColumnInfo*> columns_;  // the plugin's own columns, as selected
  std::vector<Mapping> mappings_;
  Conn conn_;
  int cursor_ = -1;  // index in columns_ of an incremental table's cursor
  int64_t read_ = 0;
  std::string last_cursor_;  // text form of the last row's cursor
  std::string pending_;      // an incomplete row (or header) waiting for more copy data
  bool header_done_ = false;
};

// ---- the plugin ------------------------------------------------------------------------------

class PostgresqlSource : public plugin::SourcePlugin {
 public:
  Status Configure(const nlohmann::json& spec) override {
    plugin::SpecReader r(spec);
    Options o;
    o.conninfo = r.String("connection_string", "");
    const nlohmann::json* inc = r.Raw("incremental");
    o.schemas = r.StringList("schemas");
    o.chunk_size = r.Int("chunk_size", 10'000, 1);
    o.concurrency = r.Int("concurrency", 4, 1, 10'000);
    o.timeouts = pg::ReadTimeouts(r);
    QUARRY_RETURN_NOT_OK(r.Finish());
    if (o.conninfo.empty()) {
      return Status::Invalid(
          "spec.connection_string: required (a libpq connection string, such as "
          "\"host=localhost dbname=shop user=reader\" or \"postgresql://reader@localhost/shop\")");
    }
    if (inc != nullptr) {
      if (!inc->is_object()) {
        return Status::Invalid(fmt::format(
            "spec.incremental: expected a mapping of table name to cursor column, got {}",
            inc->dump()));
      }
      for (const auto& [table, column] : inc->items()) {
        if (!column.is_string() || column.get_ref<const std::string&>().empty()) {
          return Status::Invalid(
              fmt::format("spec.incremental.{}: expected the name of the cursor column, got {}",
                          table, column.dump()));
        }
        o.incremental.emplace_back(table, column.get<std::string>());
      }
    }
    o_ = std::move(o);
    return Status::OK();
  }

  Result<std::vector<schema::TablePtr>> Tables() const override {
    if (o_.conninfo.empty()) return Status::Internal("postgresql source: Tables before Configure");
    std::vector<TableInfo> infos;
    {
      QUARRY_ASSIGN_OR_RETURN(Conn conn, Connect(o_));
      QUARRY_ASSIGN_OR_RETURN(infos, Discover(conn.get(), o_.schemas));
    }
    QUARRY_RETURN_NOT_OK(CheckNames(infos));
    QUARRY_ASSIGN_OR_RETURN(auto incremental, ResolveIncremental(o_, infos));

    std::vector<schema::TablePtr> out;
    for (const auto& info : infos) {
      schema::Table t;
      t.name = info.name;
      t.qualified_name = info.Display();  // patterns may say "schema.table"
      auto inc = incremental.find(info.name);
      t.is_incremental = inc != incremental.end();
      for (const auto& ci : info.columns) {
        // A table that cannot sync is listed with the columns that could.
        if (!schema::NameProblem(ci.name).empty() || schema::IsCqColumn(ci.name)) continue;
        schema::Column c{ci.name, ci.mapping().type};
        c.primary_key = ci.pk > 0;
        c.not_null = ci.not_null || ci.pk > 0;
        c.incremental_key = t.is_incremental && inc->second == ci.name;
        t.columns.push_back(std::move(c));
      }
      auto table = schema::Finalize(std::move(t));
      if (!table.ok()) {
        return table.status().WithContext(fmt::format("postgresql source: {}", info.Display()));
      }
      out.push_back(table.MoveValue());
    }
    return out;
  }

  Status Init(const plugin::PluginContext& ctx) override {
    if (o_.conninfo.empty()) return Status::Internal("postgresql source: Init before Configure");
    QUARRY_ASSIGN_OR_RETURN(Conn conn, Connect(o_));
    return Status::OK();
  }

  Status Sync(const plugin::SyncRequest& request, plugin::MessageSink& sink) override {
    // The coordinating connection holds the snapshot every table is read in until all are done.
    QUARRY_ASSIGN_OR_RETURN(Conn conn, Connect(o_));
    QUARRY_RETURN_NOT_OK(
        Exec(conn.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "begin snapshot"));
    std::string snapshot;
    {
      PgResult r(conn->Exec("SELECT pg_export_snapshot()"));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        return PgError(conn.get(), "export snapshot");
      }
      snapshot = PQgetvalue(r.get(), 0, 0);
    }
    QUARRY_ASSIGN_OR_RETURN(auto infos, Discover(conn.get(), o_.schemas));
    QUARRY_ASSIGN_OR_RETURN(auto incremental, ResolveIncremental(o_, infos));
    std::map<std::string, const TableInfo*> by_name;
    for (const auto& info : infos) by_name[info.name] = &info;

    // Tables that cannot sync are reported, not migrated: no destination gets an empty copy.
    plugin::SyncRequest syncable = request;
    syncable.tables.clear();
    for (const auto& t : request.tables) {
      auto info = by_name.find(t->name);
      if (info == by_name.end() || info->second->problem.empty()) {
        syncable.tables.push_back(t);
        continue;
      }
      QUARRY_RETURN_NOT_OK(sink.Send(message::TableError{t->name, info->second->problem}));
    }
    std::map<std::string, scheduler::Resolver> resolvers;
    for (const auto& t : schema::Flatten(syncable.tables)) {
      auto info = by_name.find(t->name);
      auto inc = incremental.find(t->name);
      const TableInfo* ti = info == by_name.end() ? nullptr : info->second;
      const std::string* cursor = inc == incremental.end() ? nullptr : &inc->second;
      resolvers[t->name] = [this, table = t, ti, cursor, &snapshot, &syncable](
                               const ResolveContext&, RowWriter& out) -> Status {
        if (ti == nullptr) {
          return Status::Invalid(fmt::format("table {}: no longer exists", table->name));
        }
        TableReader reader(o_, *ti, *table, snapshot, cursor);
        return reader.Run(syncable.state, out);
      };
    }
    scheduler::SchedulerOptions so;
    so.concurrency = static_cast<int>(o_.concurrency);
    so.num_clients = 1;
    QUARRY_RETURN_NOT_OK(scheduler::RunResolvers(syncable, resolvers, so, sink));
    return Exec(conn.get(), "COMMIT", "end snapshot");
  }

 private:
  // No two tables share a Quarry name.
  static Status CheckNames(const std::vector<TableInfo>& infos) {
    std::map<std::string, const TableInfo*> seen;
    for (const auto& info : infos) {
      auto [it, fresh] = seen.emplace(info.name, &info);
      if (!fresh) {
        return Status::Invalid(fmt::format(
            "postgresql source: tables {} and {} would both be named {}; rename one, or leave "
            "its schema out with spec.schemas",
            it->second->Display(), info.Display(), info.name));
      }
    }
    return Status::OK();
  }

  Options o_;
};

}  // namespace

std::unique_ptr<plugin::SourcePlugin> NewPostgresqlSource() {
  return std::make_unique<PostgresqlSource>();
}

}  // namespace quarry::plugins
