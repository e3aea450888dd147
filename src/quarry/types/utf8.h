// UTF-8 validity of text values. Arrow's utf8 (and Quarry's json, inet and mac, which hold text)
// must be valid UTF-8; a value that is not cannot be stored as text by most destinations, and
// must never be altered to fit, so the engine refuses it with the table, column and row.
#pragma once

#include <cstdint>
#include <string_view>

#include "quarry/base/status.h"
#include "quarry/types/record_batch.h"

namespace quarry::types {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). Thread-safe.
bool IsValidUtf8(std::string_view s);

// The first text value of `batch` that is not valid UTF-8 (text columns and lists of them):
// an InvalidArgument error "column <c>, row <first_row + i>: …". Thread-safe.
Status CheckUtf8(const RecordBatch& batch, int64_t first_row = 0);

}  // namespace quarry::types
