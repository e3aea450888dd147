// Schema differences for migrations, in a destination's own type spelling.
//
// A destination describes the table it has and the table it wants as ColumnDefs (its native type
// names), and DiffColumns lists what would have to change. Safe migrations apply only the changes
// for which IsSafe() holds; the rest are refused with Describe()d changes (migration.h decides).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace quarry::schema {

struct ColumnDef {
  std::string name;
  std::string type;  // the destination's type name, compared case-insensitively
  bool not_null = false;
  bool primary_key = false;
};

enum class ChangeKind {
  kAddColumn,             // new nullable, non-key column: safe
  kAddRequiredColumn,     // new column that is NOT NULL or part of the primary key: needs a rebuild
  kRemoveColumn,          // the column stays in place: safe
  kRemoveRequiredColumn,  // a NOT NULL column no longer written: every insert would fail
  kChangeType,
  kChangeNotNull,
  kChangePrimaryKey,
};

struct TableChange {
  ChangeKind kind;
  std::string column;
  std::string detail;  // e.g. "integer -> text"
};

std::vector<TableChange> DiffColumns(const std::vector<ColumnDef>& have,
                                     const std::vector<ColumnDef>& want);
bool IsSafe(const TableChange& change);
// "add column x (text)", "change type of column y: integer -> text", …
std::string Describe(const TableChange& change);

}  // namespace quarry::schema
