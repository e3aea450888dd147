// Time helpers: microsecond timestamps (UTC) and their text forms. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace quarry {

// Microseconds since the Unix epoch, from the system clock.
int64_t NowMicros();

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
int32_t DaysFromCivil(int y, unsigned m, unsigned d);
void CivilFromDays(int32_t days, int* y, unsigned* m, unsigned* d);

// "2026-11-25 16:46:29.123456" (UTC, always six fraction digits; SQLite date functions read it
// and it sorts as text in time order). Writes exactly 26 chars to `out`.
void FormatTimestampMicros(int64_t micros, char* out);
std::string FormatTimestampMicros(int64_t micros);
// "2026-11-25T16:46:29.123456Z"
std::string FormatRfc3339(int64_t micros);
// "2026-11-25". Writes exactly 10 chars.
void FormatDate(int32_t days, char* out);
std::string FormatDate(int32_t days);
// "1m54s", "2.5s", "120ms"
std::string FormatDuration(int64_t micros);

}  // namespace quarry
