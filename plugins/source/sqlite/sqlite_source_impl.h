// The sqlite source's shared pieces (internal to this folder; users include sqlite_source.h):
//   sqlite_source.cc        the read-only connection, errors, options and the SourcePlugin class
//   sqlite_catalog.cc       the file's tables and their columns, and SQLite's declared types
//   sqlite_values.cc        stored values converted to Quarry types; cursor values kept between
//                           chunks
//   sqlite_table_reader.cc  reading one table, in full or after its saved cursor in chunks
// Nothing here is thread-safe; each resolver call opens its own connection.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/plugin/source.h"
#include "quarry/scheduler/scheduler.h"
#include "quarry/schema/table.h"
#include "quarry/types/builder.h"

namespace quarry::plugins::sqlite_source {

// The scheduler's `_cq_source_name`, `_cq_sync_time`, `_cq_id`, `_cq_parent_id`, which lead every
// table of a SyncRequest.
inline constexpr size_t kCqColumns = 4;

struct Options {
  std::string path;
  std::map<std::string, std::string> incremental;  // table name -> cursor column
  int64_t chunk_size = 10'000;
  int64_t concurrency = 4;
};

// ---- connection (sqlite_source.cc) -------------------------------------------------------

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// The one place sqlite errors become a Status: "sqlite source <file>: <what>: <errmsg>".
Status SqliteError(sqlite3* db, std::string_view path, std::string_view what);

// Opens the file read-only (never creates it), with writes refused on this connection too.
Result<Db> OpenReadOnly(const std::string& path);

Result<Stmt> Prepare(sqlite3* db, std::string_view path, const std::string& sql,
                     std::string_view what);

inline std::string_view ColumnText(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return p == nullptr ? std::string_view()
                      : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

inline std::string_view ColumnBlob(sqlite3_stmt* st, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
  return p == nullptr ? std::string_view()
                      : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

inline std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// ---- catalog (sqlite_catalog.cc) ---------------------------------------------------------

struct ColumnInfo {
  std::string name;
  std::string declared;
  bool not_null = false;
  int pk = 0;  // position in the primary key, from 1; 0 when not part of it
};

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;
  // A name that reads the rowid ("rowid", or "_rowid_" / "oid" when a column is called rowid);
  // empty for WITHOUT ROWID tables.
  std::string rowid;
  std::vector<std::string> primary_key;  // in key order
};

// A table as Quarry shows it. `name` is the table's own name, or a stand-in when Quarry cannot
// use that (see sqlite_catalog.cc). A table with a `problem` cannot sync: it is still listed, so
// that `tables` / `skip_tables` patterns can select or skip it, and a sync that selects it reports
// the problem as its table error.
struct Discovered {
  TableInfo info;
  std::string name;
  std::string problem;  // empty when the table can sync
};

// The Quarry type of a column from its declared SQLite type: common type names first, then
// SQLite's own affinity rules, in their order (https://www.sqlite.org/datatype3.html §3.1).
types::TypePtr TypeFromDeclared(std::string_view declared);

// The columns, primary key and rowid name of table `name`; an error when there is no such table.
Result<TableInfo> InspectTable(sqlite3* db, const std::string& path, const std::string& name);

// Every ordinary table of the file (not sqlite_* internals, views or virtual tables), sorted by
// name, with the name Quarry shows it under.
Result<std::vector<Discovered>> DiscoverTables(const std::string& path);

// ---- values (sqlite_values.cc) -----------------------------------------------------------

// Appends column i of the current row of `st` to `b`, converted to b's type. A stored value that
// does not fit the type is an InvalidArgument error saying why (the caller adds where).
Status AppendValue(sqlite3_stmt* st, int i, types::ArrayBuilder& b);

// A value read from a row, kept to be bound again after the statement has moved on.
struct SqlValue {
  int storage = SQLITE_NULL;
  int64_t i = 0;
  double d = 0;
  std::string s;  // text or blob bytes

  void Read(sqlite3_stmt* st, int col);
  // sqlite3_bind_*'s result.
  int Bind(sqlite3_stmt* st, int param) const;
  // The saved form of a cursor: decimal digits, the shortest text that reads back as the same
  // double, or the text itself.
  std::string CursorText() const;
};

// ---- one table (sqlite_table_reader.cc) --------------------------------------------------

// Reads one table into `out` on its own read-only connection, inside one read transaction: in
// full, or — for a table of `o.incremental` — after its cursor in `state`, in chunks of
// o.chunk_size rows with a checkpoint after each. `table` holds the _cq_* columns first.
Status ReadTable(const Options& o, const schema::Table& table,
                 const std::map<std::string, std::string>& state, scheduler::RowWriter& out);

}  // namespace quarry::plugins::sqlite_source
