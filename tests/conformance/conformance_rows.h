// Helpers of the destination conformance suite: tables, rows with their bookkeeping values, and
// what a destination reads back, printed so that a failure shows a readable diff.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quarry/plugin/destination.h"
#include "quarry/schema/table.h"
#include "quarry/testing/status.h"  // ASSERT_OK for the suite
#include "quarry/types/record_batch.h"

namespace quarry::conformance {

inline constexpr char kSyncTime1[] = "2026-11-25T10:00:00Z";
inline constexpr char kSyncTime2[] = "2026-11-25T11:00:00Z";

// id (int64, primary key), value (utf8 unless told), with extra (int64) when asked, and the
// _cq_* columns.
schema::TablePtr SimpleTable(const std::string& name, bool with_extra = false,
                             types::TypePtr value_type = types::utf8());

// Rows of a table with the bookkeeping values filled in: `rows` is a JSON array of objects
// holding the table's own columns (a row's own _cq_id wins over the one made from its id).
types::RecordBatchPtr Rows(const schema::TablePtr& t, const std::string& rows,
                           const char* sync_time = kSyncTime1, const char* source = "src");

// The table's rows as read back, one JSON object per row, sorted, only the listed columns.
std::vector<std::string> ReadBack(plugin::DestinationPlugin& d, const schema::Table& t,
                                  const std::vector<std::string>& columns);

// Microseconds since the epoch of an RFC 3339 timestamp.
int64_t Micros(const char* rfc3339);

// The same JSON value, spelled one way (destinations may respace JSON columns, as jsonb does).
std::string Normalize(const std::string& json);

}  // namespace quarry::conformance
