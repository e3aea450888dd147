// The migration policy of every table-storing destination, decided once: which columns form the
// key, which columns a table must have, and what to do about the table a destination already has
// — create it, leave it, add columns, rebuild it (drop and recreate), or refuse with the reasons.
// A destination only reads what it has (its catalog) and renders the plan as its own SQL.
//
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/schema/diff.h"
#include "quarry/schema/table.h"

namespace quarry::schema {

// The options that change a plan, in destination-independent terms (a destination fills them in
// from its write_mode, migrate_mode and pk_mode).
struct MigrationOptions {
  // Rebuild a table whose change is not safe (migrate_mode: forced) instead of refusing it.
  bool forced = false;
  // Enforce a primary key (for upserts). False in append mode: rows are only ever added.
  bool keys = true;
  // The key is `_cq_id` alone, whatever the table declares (pk_mode: cq-id-only).
  bool cq_id_only = false;
  // The destination matches column names without regard to ASCII case (SQLite): an existing
  // "ID" is the wanted "id".
  bool names_ignore_case = false;
};

// The destination's spelling of a column type ("integer", "double precision", "text[]"), as its
// catalog reports it back, so that what a table has compares with what it needs.
using TypeName = std::function<std::string(const types::DataType&)>;

// The columns a destination enforces as the table's key, in table order: none when keys are off;
// `_cq_id` under cq_id_only (when the table has it); else the declared primary keys.
std::vector<std::string> KeyColumns(const Table& table, const MigrationOptions& options);

// The table's columns as the destination must have them: table order, types spelled by
// `type_name`, primary_key set on KeyColumns.
std::vector<ColumnDef> WantedColumns(const Table& table, const MigrationOptions& options,
                                     const TypeName& type_name);

enum class MigrationAction {
  kCreate,      // the table does not exist: create `columns` with primary key `keys`
  kNothing,     // the table is as needed (columns no longer synced stay in place)
  kAddColumns,  // add the nullable columns `add`; the rows stay
  kRebuild,     // drop the table and create `columns` with primary key `keys` (forced only)
  kRefuse,      // leave the table alone and fail the migration with `reason`
};

struct MigrationPlan {
  MigrationAction action = MigrationAction::kNothing;
  std::vector<ColumnDef> columns;  // the whole wanted table, for kCreate and kRebuild
  std::vector<std::string> keys;   // its primary key, for kCreate and kRebuild (may be empty)
  std::vector<ColumnDef> add;      // for kAddColumns, in table order
  // For kRefuse: "table t: safe migration refused (use migrate_mode: forced): change type of
  // column a: integer -> text; …". For kRebuild: the changes that needed it ("change type of
  // column a: integer -> text; …"), for the destination's log. Empty otherwise.
  std::string reason;
};

// What to do with `table` in a destination that has `have` (its columns as its catalog reports
// them; nullopt when there is no such table). Every change that is not safe (see IsSafe) makes a
// rebuild when options.forced, a refusal otherwise; a table with only safe changes keeps its
// rows in both modes.
MigrationPlan PlanMigration(const Table& table, const std::optional<std::vector<ColumnDef>>& have,
                            const MigrationOptions& options, const TypeName& type_name);

// The result of one Migrate call: OK when `refusals` (the reasons of the kRefuse plans) is
// empty, else InvalidArgument with one line per refused table.
Status RefusedMigrations(const std::vector<std::string>& refusals);

}  // namespace quarry::schema
