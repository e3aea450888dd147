// CloudQuery tables as Arrow schemas: a Quarry Table travels in the plugin protocol as the Arrow
// schema of its records, with CloudQuery's metadata (`cq:table_name`, `cq:table_depends_on`,
// `cq:extension:primary_key`, … — the keys listed in the protocol reference). These functions
// turn such a schema back into a Table and a flat list of them back into a tree.
//
// Pure functions; thread-safe.
#pragma once

#include <vector>

#include "quarry/base/status.h"
#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::ipc {

// The table a schema describes (no relations; `parent` from cq:table_depends_on). Errors name
// what is missing: a schema without cq:table_name is not a table.
Result<schema::TablePtr> TableFromSchema(const types::Schema& schema);

// Rebuilds the tree of a flat list of tables (as GetTables answers): a table whose parent is in
// the list becomes its child; a table whose parent is missing is a top-level table.
// Order among siblings is kept.
Result<std::vector<schema::TablePtr>> BuildTableTree(const std::vector<schema::TablePtr>& flat);

// The wire form of a table: its schema stream (Table::arrow_schema, encoded).
std::string EncodeTable(const schema::Table& table);
Result<schema::TablePtr> DecodeTable(std::string_view bytes);

}  // namespace quarry::ipc
