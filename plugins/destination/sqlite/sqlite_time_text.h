// The text forms in which the sqlite destination stores timestamps and dates, and the forms it
// reads back (its own, and those other tools write).
//
// Years 0000-9999 keep the fixed form ("2026-11-25 16:46:29.123456", "2026-11-25") that SQLite's
// date functions read and that sorts in time order; other years take ISO 8601's expanded form,
// with a sign and at least four digits, counted astronomically (year 0 is 1 BC):
// "+10000-01-01 00:00:00.000000", "-0043-03-15". Every int64 microsecond and int32 day so has a
// text that reads back as itself.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace quarry::plugins::sqlite {

// The most bytes FormatDateText and FormatTimestampText write.
inline constexpr int kMaxTimeText = 32;

// A date's text (days since 1970-01-01) into `out`; returns its length.
int FormatDateText(int32_t days, char* out);

// A timestamp's text (microseconds since the epoch) into `out`; returns its length.
int FormatTimestampText(int64_t micros, char* out);

// A date's text (also as other tools write it) as days since 1970-01-01; nullopt for other
// text or a day outside int32.
std::optional<int32_t> ParseDateText(std::string_view v);

// A timestamp's text (also with "T" for the space, fewer fraction digits or a trailing "Z", as
// other tools write it) as microseconds since the epoch; nullopt for other text or a time
// outside int64.
std::optional<int64_t> ParseTimestampText(std::string_view v);

}  // namespace quarry::plugins::sqlite
