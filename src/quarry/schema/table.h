// Tables and columns: what a source can fill and a destination must store.
//
// A Table is built by a source plugin, then decorated with the `_cq_*` bookkeeping columns
// (WithCqColumns) before it travels to destinations. After that it is immutable and shared as
// TablePtr between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/types/record_batch.h"

namespace quarry::schema {

inline constexpr std::string_view kCqSourceName = "_cq_source_name";
inline constexpr std::string_view kCqSyncTime = "_cq_sync_time";
inline constexpr std::string_view kCqId = "_cq_id";
inline constexpr std::string_view kCqParentId = "_cq_parent_id";

struct Column {
  std::string name;
  types::TypePtr type;
  std::string description;
  bool primary_key = false;
  bool not_null = false;
  bool unique = false;
  bool incremental_key = false;
  // Field metadata Quarry does not interpret (e.g. CloudQuery's cq:extension:type_schema), kept
  // as a plugin sent it and sent on with the column.
  types::Metadata extra_metadata;
};

struct Table;
using TablePtr = std::shared_ptr<const Table>;

struct Table {
  std::string name;
  std::string title;
  std::string description;
  std::vector<Column> columns;
  std::vector<TablePtr> relations;  // child tables, resolved once per row of this table
  std::string parent;               // name of the parent table, empty for top-level tables
  // Another name `tables`/`skip_tables` patterns match, e.g. "sales.orders" for the PostgreSQL
  // table that Quarry names sales_orders. Empty: patterns match `name` only.
  std::string qualified_name;
  bool is_incremental = false;
  // Schema metadata Quarry does not interpret (cq:table_paid, cq:extension:constraint_name, …),
  // kept as a plugin sent it.
  types::Metadata extra_metadata;
  // The Arrow schema of a record of this table (set by WithCqColumns / Finalize).
  types::SchemaPtr arrow_schema;

  int ColumnIndex(std::string_view column) const;
  std::vector<std::string> PrimaryKeys() const;
  bool HasCqColumns() const { return ColumnIndex(kCqId) >= 0; }
};

// The Arrow schema of a record of `table`, with CloudQuery's table and column metadata.
types::SchemaPtr ArrowSchemaOf(const Table& table);

// Sets parent links and arrow schemas through a tree built by a plugin; checks that every name
// is usable (see NameProblem) and column names unique per table, and that every column has a
// type.
Result<TablePtr> Finalize(Table table);

// Why `name` cannot name a table or column — "empty", "not valid UTF-8" or "holds a NUL
// character" — or "" when it can. Any other text can (spaces, quotes, capitals, any script):
// destinations quote every name they use.
std::string NameProblem(std::string_view name);

// `name` with each byte that is not part of valid UTF-8 written as \xNN (and every other byte
// kept): valid UTF-8 that says which name is meant, for messages and stand-in names.
std::string PrintableName(std::string_view name);

// Whether `name` is one of the four `_cq_*` column names above, which a source's own column
// cannot have (WithCqColumns fills them).
bool IsCqColumn(std::string_view name);

// The table (and its children) with `_cq_source_name`, `_cq_sync_time`, `_cq_id` (uuid, not
// null, unique) and `_cq_parent_id` prepended. `_cq_id` becomes the primary key when the table has
// none, or — with cq_id_only — always (the other primary keys are dropped).
TablePtr WithCqColumns(const Table& table, bool cq_id_only = false);

// Parents before children, depth first.
std::vector<TablePtr> Flatten(const std::vector<TablePtr>& tree);

struct TableSelection {
  std::vector<std::string> tables;       // patterns; required, `*` selects all
  std::vector<std::string> skip_tables;  // patterns
  bool skip_dependent_tables = true;
};

// Applies CloudQuery's selection rules to a tree of tables: a table is selected when it matches
// `tables` and no `skip_tables`; children of a selected table come along when
// skip_dependent_tables is false; a selected child brings its parent; a skipped table takes its
// children with it. Every pattern must match at least one table: otherwise the error names it.
Result<std::vector<TablePtr>> SelectTables(const std::vector<TablePtr>& tree,
                                           const TableSelection& selection);

}  // namespace quarry::schema
