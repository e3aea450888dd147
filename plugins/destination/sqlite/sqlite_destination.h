// The `sqlite` destination: stores every table in one SQLite database file.
//
// Spec options: connection_string (required; a file path, a `file:` prefix is accepted),
// batch_size (10000 rows), batch_size_bytes (10 MiB), batch_timeout (20s).
// Each Write is one transaction; overwrite modes upsert by primary key, append mode inserts.
// See docs/plugins/sqlite.md for the type mapping and migration rules.
//
// The returned plugin is not thread-safe (as every DestinationPlugin). Several instances, in one
// process or several, may write to the same file: each has its own connection and waits for the
// others' transactions (WAL journal, 30 s busy timeout).
#pragma once

#include <memory>

#include "quarry/plugin/destination.h"

namespace quarry::plugins {

std::unique_ptr<plugin::DestinationPlugin> NewSqliteDestination();

}  // namespace quarry::plugins
