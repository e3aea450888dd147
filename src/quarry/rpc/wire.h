// What changes when Quarry's tables and records cross the plugin protocol.
//
// CloudQuery's split of the bookkeeping columns: a source plugin sends `_cq_id` and
// `_cq_parent_id`; the orchestrator adds `_cq_source_name` and `_cq_sync_time`. So a served
// built-in source strips those two (StripOrchestratorColumns), and a remote source's records are
// conformed to the Quarry table, which has all four (ConformBatch fills them in).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "quarry/base/status.h"
#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::rpc {

// The table without `_cq_source_name` and `_cq_sync_time` (children too).
schema::TablePtr StripOrchestratorColumns(const schema::Table& table);
// The batch's columns that `stripped` (from StripOrchestratorColumns) keeps, under its schema.
types::RecordBatchPtr StripOrchestratorColumns(const schema::Table& stripped,
                                               const types::RecordBatch& batch);

struct ConformOptions {
  std::string source_name;   // fills _cq_source_name when the record lacks it
  int64_t sync_time_us = 0;  // fills _cq_sync_time when the record lacks it
};

// A record from a remote plugin as a batch of `table` (schema table.arrow_schema): columns are
// matched by name and must have the table's type. `_cq_source_name` and `_cq_sync_time` are set
// from `options` when absent, `_cq_id` gets random v4 ids when absent, and any other nullable
// column the record lacks is null. A missing not-null column, a type mismatch or an extra column
// is an error naming table and column.
Result<types::RecordBatchPtr> ConformBatch(const schema::Table& table,
                                           const types::RecordBatch& record,
                                           const ConformOptions& options);

// The table as a destination sees it under `write_mode: append` (CloudQuery removes primary keys
// and unique constraints then, so rows are only ever added).
schema::TablePtr WithoutKeys(const schema::Table& table);

}  // namespace quarry::rpc
