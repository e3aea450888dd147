// Tables and record batches from literals, for tests: a bad literal fails the test where it is
// built instead of crashing it later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::testing {

// The rows `json` (an array of objects, as types::BatchFromJson reads it) in `table`'s schema.
// A literal that does not fit fails the test (ADD_FAILURE) and gives null.
types::RecordBatchPtr BatchFromJson(const schema::Table& table, std::string_view json);

// A table with one column, the int64 primary key `key`, plus the _cq_* columns.
schema::TablePtr KeyedTable(const std::string& name, const std::string& key = "id");

// `n` rows of a KeyedTable with keys from, from + 1, ... and one fixed _cq_id.
types::RecordBatchPtr KeyedRows(const schema::TablePtr& table, int64_t from, int64_t n);

}  // namespace quarry::testing
