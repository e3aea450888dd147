// How the postgresql destination maps Quarry's types to PostgreSQL's: the column types (spelled
// as the catalog's format_type() spells them, so that migrations compare names), the element
// OIDs of binary arrays, and the ranges and epochs of timestamps and dates.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "quarry/types/data_type.h"

namespace quarry::plugins::postgresql {

// PostgreSQL counts time from 2000-01-01, Arrow from 1970-01-01.
inline constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
inline constexpr int32_t kPgEpochDays = 10'957;

// PostgreSQL's range (datatype/timestamp.h, counted from its epoch): timestamps from 4714-11-24
// 00:00 BC up to, not including, 294277-01-01; dates from 4714-11-24 BC up to, not including,
// 5874898-01-01. The smallest and largest int64 / int32 are -infinity and infinity.
inline constexpr int64_t kPgMinTimestamp = -211'813'488'000'000'000;
inline constexpr int64_t kPgEndTimestamp = 9'223'371'331'200'000'000;
inline constexpr int64_t kPgMinDate = -2'451'545;
inline constexpr int64_t kPgEndDate = 2'145'031'949;

// A list of lists has no PostgreSQL array type (arrays are rectangular): it is stored as JSON
// text.
bool IsNestedList(const types::DataType& t);

// The column type: "bigint", "timestamp without time zone", "text[]", …
std::string PgType(const types::DataType& t);

// The OID of the element type of a binary array of `id` values.
uint32_t ElementOid(types::TypeId id);

}  // namespace quarry::plugins::postgresql
