// The `postgresql` source: syncs the tables and views of a PostgreSQL database, read-only.
// Columns, types, primary keys and NOT NULL come from the catalog. A sync reads every table inside
// one snapshot (REPEATABLE READ, READ ONLY, exported from a coordinating connection to every
// worker connection) with binary `COPY … TO STDOUT`; tables named in `spec.incremental` are read
// after their saved cursor, in cursor order, in bounded chunks that never split rows sharing a
// cursor value, with a checkpoint after each chunk. See docs/plugins/postgresql-source.md.
//
// The returned plugin follows SourcePlugin's contract (not thread-safe; Sync resolves tables on
// worker threads, each with its own connection).
#pragma once

#include <memory>

#include "quarry/plugin/source.h"

namespace quarry::plugins {

std::unique_ptr<plugin::SourcePlugin> NewPostgresqlSource();

}  // namespace quarry::plugins
