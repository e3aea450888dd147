// The `postgresql` destination: stores every table in one schema of a PostgreSQL database, through
// libpq.
//
// Spec options: connection_string (required; a key/value DSN "host=… dbname=…" or a URI
// "postgresql://…"), schema ("public"; created when missing), batch_size (10000 rows),
// batch_size_bytes (100 MB), batch_timeout (60s).
//
// Each Write / WriteAll is one transaction. Appends go through binary COPY; overwrite modes COPY
// into a temporary staging table and upsert from it with one INSERT … ON CONFLICT per table.
// Migrations read the existing tables from the catalog. As a state backend it reads tables back
// (Read) and fences syncs with session advisory locks (TryLock). See docs/plugins/postgresql.md
// for the type mapping and the rules.
//
// The returned plugin is not thread-safe (as every DestinationPlugin): it owns one connection.
// Several instances, in one process or several, may write to the same database.
#pragma once

#include <memory>

#include "quarry/plugin/destination.h"

namespace quarry::plugins {

std::unique_ptr<plugin::DestinationPlugin> NewPostgresqlDestination();

}  // namespace quarry::plugins
