// Record batches to and from JSON text, for tests, docs and text-typed destinations.
//
// BatchFromJson takes an array of objects keyed by field name; missing keys are null.
// Values use the text forms of ValueToJson (timestamps as RFC 3339 — any year, see
// quarry/base/time.h — or integer microseconds, dates as "YYYY-MM-DD" in the same year forms,
// floats as numbers or "NaN", "Infinity", "-Infinity", uuids as text, json columns as any JSON
// value, binary as base64 text is not supported: binary takes a plain string of bytes). A value
// that does not fit its type exactly (300 for an int8, 1e300 for a float32, "2026-02-30") is an
// error, never wrapped, clamped or rounded to another day. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

#include "quarry/types/record_batch.h"

namespace quarry::types {

Result<RecordBatchPtr> BatchFromJson(SchemaPtr schema, std::string_view json_text);

// Appends one value given as JSON text, as ValueToJson writes it, to `builder`: every value
// ValueToJson prints reads back as itself (binary as base64 here, unlike in BatchFromJson), json
// values aside, which come back as the same JSON respelled. Also reads what PostgreSQL's to_json
// writes: bytea as hex text (\x6162) and years before 1 AD with a " BC" suffix.
Status AppendJsonText(ArrayBuilder& builder, std::string_view json_text);

// "[{...},{...}]" with one object per row (RecordBatch::RowToJson).
std::string BatchToJson(const RecordBatch& batch);

// Parses "2026-11-25T16:46:29.123456Z" / "2026-11-25 16:46:29" (UTC) / "+10000-01-01T00:00:00Z"
// to microseconds: ParseIsoTimestamp (quarry/base/time.h).
Result<int64_t> ParseTimestamp(std::string_view text);
// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes.
Status ParseUuid(std::string_view text, uint8_t* out16);

}  // namespace quarry::types
