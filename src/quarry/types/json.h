// Record batches to and from JSON text, for tests, docs and text-typed destinations.
//
// BatchFromJson takes an array of objects keyed by field name; missing keys are null.
// Values use the text forms of ValueToJson (timestamps as RFC 3339 or integer microseconds,
// uuids as text, json columns as any JSON value, binary as base64 text is not supported:
// binary takes a plain string of bytes). Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

#include "quarry/types/record_batch.h"

namespace quarry::types {

Result<RecordBatchPtr> BatchFromJson(SchemaPtr schema, std::string_view json_text);

// Appends one value given as JSON text (as ValueToJson writes it) to `builder`.
Status AppendJsonText(ArrayBuilder& builder, std::string_view json_text);

// "[{...},{...}]" with one object per row (RecordBatch::RowToJson).
std::string BatchToJson(const RecordBatch& batch);

// Parses "2026-11-25T16:46:29.123456Z" / "2026-11-25 16:46:29" (UTC) to microseconds.
Result<int64_t> ParseTimestamp(std::string_view text);
// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes.
Status ParseUuid(std::string_view text, uint8_t* out16);

}  // namespace quarry::types
