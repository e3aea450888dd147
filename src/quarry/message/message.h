// The closed set of messages a sync carries from a source to each destination, in order.
//
// Messages are values holding shared immutable tables and batches; safe to pass between threads.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::message {

// Create or alter the destination table (and nothing else: children come as their own messages).
struct MigrateTable {
  schema::TablePtr table;
};

// Rows for a table. The batch's schema is table->arrow_schema.
struct Insert {
  schema::TablePtr table;
  types::RecordBatchPtr batch;
};

// A resolver failed for (part of) a table. The table is not eligible for stale deletion.
struct TableError {
  std::string table_name;
  std::string error;
};

// Delete the rows of `table` that `source_name` wrote in syncs before `sync_time_us`.
struct DeleteStale {
  schema::TablePtr table;
  std::string source_name;
  int64_t sync_time_us = 0;
};

// The source proposes `value` as the cursor of state `key` (one key per incremental table, or per
// table and client): every row it emitted before this message is covered. The engine commits the
// cursor only after every destination has durably written those rows. `id` is assigned by the
// engine (increasing per source).
struct Checkpoint {
  std::string key;
  std::string value;
  int64_t id = 0;
};

using Message = std::variant<MigrateTable, Insert, TableError, DeleteStale, Checkpoint>;

}  // namespace quarry::message
