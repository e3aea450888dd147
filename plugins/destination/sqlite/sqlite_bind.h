// How the sqlite destination binds a batch's rows to its multi-row INSERT statements: the
// per-table writer state (cached statements, scratch memory) and the binding of columns,
// straight from the Arrow buffers, with SQLITE_STATIC wherever a value's bytes can be used as
// they are.
//
// Value forms: integers as INTEGER (a uint64 above INT64_MAX as a blob of its decimal digits),
// floats as REAL (NaN as the text 'NaN', -0.0 as the blob '-0.0': SQLite keeps neither), text
// and binary as they are, timestamps and dates as text (sqlite_time_text.h), uuids as their
// text, lists as JSON text. Not thread-safe: a TableWriter belongs to one destination.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quarry/types/record_batch.h"

namespace quarry::plugins::sqlite {

// Rows per multi-row INSERT (capped so that rows x columns stays within SQLite's parameter
// limit). Binding costs the same per value whatever the statement size; what multi-row
// statements save is the per-step overhead (VDBE start-up, reset, affinity set-up). In
// sqlite_destination_bench (11 columns, CPU time relative to a plain loop of single-row
// inserts): 1 row 0.98-1.01, 4 rows 1.03-1.09, 16 rows 1.12-1.19, 32 rows 1.16-1.26,
// 64 rows 1.23-1.27, 256 rows 1.24-1.30. 64 is on the plateau with a small statement and
// scratch arena.
inline constexpr int kRowsPerStatement = 64;

// Bytes of scratch per bound parameter for values formatted to text (uuid: 36 chars, the
// longest; then timestamps of expanded years, up to 29).
inline constexpr int kSlot = 40;

// Bound with SQLITE_STATIC in place of a null pointer, which SQLite would store as NULL.
inline constexpr char kEmpty[] = "";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Rows [start, start + count) of one batch: a piece of a statement's worth of rows.
struct Segment {
  const types::RecordBatch* batch;
  int64_t start;
  int64_t count;
};

// What Write needs for one table: cached statements and scratch memory, rebuilt when the
// table's columns change.
struct TableWriter {
  std::string table;
  std::vector<std::string> names;
  std::vector<types::TypeId> type_ids;
  std::vector<int> not_null;  // column indexes
  int num_columns = 0;
  int chunk_rows = 1;
  std::string insert_head;  // INSERT INTO "t" ("a", "b") VALUES
  std::string row_tuple;    // (?,?)
  std::string tail;         // ON CONFLICT … or empty
  Stmt full;                // chunk_rows rows
  Stmt partial;             // partial_rows rows, for the last rows of a Write
  int partial_rows = 0;
  Stmt single;  // one row, to find the row that made a statement fail
  // kSlot bytes per parameter of `full`, for timestamps, dates, uuids, large uint64s. With
  // SQLITE_STATIC the text must live until the statement is stepped, and a multi-row statement
  // holds many formatted values at once.
  std::vector<char> arena;
  std::vector<std::string> list_text;  // per column: the JSON text of a chunk's lists
  std::vector<int64_t> list_ends;      // end offsets into list_text, -1 for null
  std::vector<Segment> segments;       // scratch

  std::string InsertSql(int rows) const {
    std::string sql = insert_head;
    sql.reserve(insert_head.size() + rows * (row_tuple.size() + 1) + tail.size());
    for (int r = 0; r < rows; ++r) {
      if (r > 0) sql.push_back(',');
      sql += row_tuple;
    }
    sql += tail;
    return sql;
  }
};

// Binds column c of the rows of `segments` (in order) to a statement with one tuple per row.
// Returns SQLITE_OK or the OR of the failed binds' codes.
int BindColumn(TableWriter& w, sqlite3_stmt* st, const std::vector<Segment>& segments, int c);

// Binds every column of the rows of `segments`; returns as BindColumn.
int BindChunk(TableWriter& w, sqlite3_stmt* st, const std::vector<Segment>& segments);

}  // namespace quarry::plugins::sqlite
