// The postgresql source's shared pieces (internal to this folder; users include
// postgresql_source.h):
//   postgresql_source.cc        connections, errors, options and the SourcePlugin class (the
//                               sync's snapshot)
//   postgresql_catalog.cc       tables, views and their columns from the catalog; type mappings;
//                               the `incremental` entries resolved to tables
//   postgresql_values.cc        binary COPY values (scalars and arrays) into Quarry builders
//   postgresql_table_reader.cc  reading one table with binary COPY, in full or after its saved
//                               cursor in chunks
// Nothing here is thread-safe; each resolver call opens its own connection.
#pragma once

#include <libpq-fe.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/common/pg_connection.h"
#include "plugins/common/sql_text.h"
#include "quarry/base/status.h"
#include "quarry/plugin/source.h"
#include "quarry/scheduler/scheduler.h"
#include "quarry/schema/table.h"
#include "quarry/types/builder.h"

namespace quarry::plugins::postgresql_source {

// The scheduler's `_cq_source_name`, `_cq_sync_time`, `_cq_id`, `_cq_parent_id`, which lead every
// table of a SyncRequest.
inline constexpr size_t kCqColumns = 4;

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

// ---- connection (postgresql_source.cc) ---------------------------------------------------

// The one place libpq errors become a Status: "postgresql source: <what>: <message>".
Status PgError(const pg::Connection* conn, std::string_view what);

// A connection whose session settings make text forms predictable: UTC timestamps, ISO dates,
// UTF-8, shortest-exact floats, backslashes literal in '…'.
Result<Conn> Connect(const Options& o);

// Runs `sql`, which returns no rows or rows nobody reads; errors read "postgresql source: <what>:
// …".
Status Exec(pg::Connection* conn, const std::string& sql, std::string_view what);

// ---- catalog (postgresql_catalog.cc) ----------------------------------------------------

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

// The mapping of a type by its OID; built-in OIDs (src/include/catalog/pg_type.dat) are stable
// across versions.
Mapping MapScalar(uint32_t oid);

struct ColumnInfo {
  std::string name;
  std::string pg_type;  // format_type(): "integer", "character varying(40)", "text[]", …
  uint32_t oid = 0;     // the type (a domain's base type)
  bool is_array = false;
  uint32_t elem_oid = 0;
  bool not_null = false;
  int pk = 0;  // position in the primary key, from 1; 0 when not part of it

  // Arrays of mapped element types are lists; other arrays are text.
  Mapping mapping() const;
  // The column in a SELECT list: its quoted name, cast to text when the mapping says so.
  std::string Select() const;
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

  std::string Qualified() const { return sql::Quote(schema) + "." + sql::Quote(relname); }
  // schema.table, printable (see postgresql_catalog.cc).
  std::string Display() const { return schema::PrintableName(schema + "." + relname); }
};

// Tables, partitioned tables (not their partitions), views, materialized views and foreign
// tables of the non-system schemas (or of `schemas`), sorted by schema and name.
Result<std::vector<TableInfo>> Discover(pg::Connection* conn,
                                        const std::vector<std::string>& schemas);

// Quarry table name -> cursor column, for every `incremental` entry; checks that each names one
// discovered table and one of its columns.
Result<std::map<std::string, std::string>> ResolveIncremental(const Options& o,
                                                              const std::vector<TableInfo>& infos);

// ---- binary COPY values (postgresql_values.cc) ------------------------------------------

// The big-endian T at `p` (unaligned).
template <typename T>
inline T ReadBe(const char* p) {
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

// Appends one non-null scalar of `len` bytes at `p` to `b`. Errors say what is wrong with the
// value (the caller adds where).
Status AppendScalar(Wire wire, const char* p, int32_t len, types::ArrayBuilder& b);

// Appends one non-null array in PostgreSQL's binary array format to list builder `b`; the
// elements of a multi-dimensional array are flattened in storage order.
Status AppendArray(Wire wire, const char* p, int32_t len, types::ArrayBuilder& b);

// ---- one table (postgresql_table_reader.cc) ----------------------------------------------

// Reads one table into `out` on its own connection, inside a read-only REPEATABLE READ
// transaction on `snapshot` (none when empty): in full when `cursor_column` is null, else after
// the table's cursor in `state`, in chunks with a checkpoint after each. `table` holds the _cq_*
// columns first; `info` is the table as the catalog has it in the snapshot.
Status ReadTable(const Options& o, const TableInfo& info, const schema::Table& table,
                 const std::string& snapshot, const std::string* cursor_column,
                 const std::map<std::string, std::string>& state, scheduler::RowWriter& out);

}  // namespace quarry::plugins::postgresql_source
