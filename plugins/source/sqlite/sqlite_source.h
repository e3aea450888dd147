// The `sqlite` source: syncs the tables of an SQLite database file, read-only. Columns, types
// (from the declared column types), primary keys and NOT NULL are discovered; tables named in
// `spec.incremental` are read after their saved cursor, in cursor order, in bounded chunks, with
// a checkpoint after each chunk. See docs/plugins/sqlite-source.md.
//
// The returned plugin follows SourcePlugin's contract (not thread-safe; Sync resolves tables on
// worker threads, each with its own read-only connection and read transaction).
#pragma once

#include <memory>

#include "quarry/plugin/source.h"

namespace quarry::plugins {

std::unique_ptr<plugin::SourcePlugin> NewSqliteSource();

}  // namespace quarry::plugins
