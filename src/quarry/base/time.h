// Time helpers: microsecond timestamps (UTC), dates, and their text forms. Pure functions,
// thread-safe.
//
// Text forms. Years 0000-9999 have the fixed forms "2026-11-25", "2026-11-25 16:46:29.123456" and
// (RFC 3339) "2026-11-25T16:46:29.123456Z". Every other year takes ISO 8601's expanded form: a
// sign and at least four digits, counted astronomically (year 0 is 1 BC, -0043 is 44 BC):
// "+10000-01-01", "-0043-03-15T00:00:00.000000Z", "+294247-01-10 04:00:54.775807". So every int64
// microsecond and every int32 day has a text, and that text parses back to it: no value is
// clamped. (Text order is time order only within years 0000-9999.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "quarry/base/status.h"

namespace quarry {

// Microseconds since the Unix epoch, from the system clock.
int64_t NowMicros();

constexpr int64_t kMicrosPerDay = 86'400'000'000;
// The days of the years with a fixed-form text: [0000-01-01, 10000-01-01).
constexpr int32_t kFirstFixedFormDay = -719'528;
constexpr int32_t kEndFixedFormDay = 2'932'897;

// Days since 1970-01-01 for a proleptic Gregorian date, and back. REQUIRES: the date's day fits
// int32 (years about -5.8 million to +5.8 million).
int32_t DaysFromCivil(int y, unsigned m, unsigned d);
void CivilFromDays(int32_t days, int* y, unsigned* m, unsigned* d);
// The same in 64 bits, for any day of an int64 microsecond (or of an int32 day) and beyond.
// REQUIRES: |y| < 2^50.
int64_t DaysFromCivil64(int64_t y, unsigned m, unsigned d);
void CivilFromDays64(int64_t days, int64_t* y, unsigned* m, unsigned* d);

// "2026-11-25 16:46:29.123456" (UTC, always six fraction digits; SQLite date functions read it
// and it sorts as text in time order), or the expanded form for other years (see the top).
std::string FormatTimestampMicros(int64_t micros);
// The fixed form only: writes exactly 26 chars to `out`.
// REQUIRES: kFirstFixedFormDay * kMicrosPerDay <= micros < kEndFixedFormDay * kMicrosPerDay.
void FormatTimestampMicros(int64_t micros, char* out);
// "2026-11-25T16:46:29.123456Z", or "+10000-01-01T00:00:00.000000Z" (expanded form).
std::string FormatRfc3339(int64_t micros);
// "2026-11-25", or "-0043-03-15" (expanded form).
std::string FormatDate(int32_t days);
// The fixed form only: writes exactly 10 chars.
// REQUIRES: kFirstFixedFormDay <= days < kEndFixedFormDay.
void FormatDate(int32_t days, char* out);
// "1m54s", "2.5s", "120ms"
std::string FormatDuration(int64_t micros);

// Parses a timestamp, UTC unless it says otherwise, to microseconds since the epoch:
// "YYYY-MM-DD", then "T", "t" or a space, then "HH:MM:SS", then optionally "." and fraction
// digits, then optionally "Z"/"z" or an offset "+HH:MM" / "+HHMM" / "+HH" (or "-…"), which is
// applied. The year may have more than four digits and a sign (the expanded form; "-0043" is 44
// BC); " BC" at the end, as PostgreSQL writes years before 1 AD ("0044-03-15T12:00:00 BC"),
// counts the year back from 1 BC instead. Seconds "60" (a leap second) are the next minute's 00.
// Errors (Invalid) for any other text, a date that does not exist ("2026-02-30"), fraction
// digits beyond microseconds that are not 0 (they would be dropped) and a time outside int64
// microseconds (years -290308 to +294247).
Result<int64_t> ParseIsoTimestamp(std::string_view text);
// Parses a date, "YYYY-MM-DD", with the same year forms as ParseIsoTimestamp, to days since
// 1970-01-01. Errors for any other text, a date that does not exist and a day outside int32.
Result<int32_t> ParseIsoDate(std::string_view text);

}  // namespace quarry
