#include "plugins/destination/sqlite/sqlite_time_text.h"

#include <fmt/format.h>

#include <limits>

#include "plugins/common/text_scan.h"
#include "quarry/base/time.h"

namespace quarry::plugins::sqlite {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr int64_t kFixedFirstDay = -719'528;  // 0000-01-01
constexpr int64_t kFixedEndDay = 2'932'897;   // 10000-01-01

// The expanded form of a day outside years 0000-9999; returns its length.
int FormatExpandedDate(int64_t days, char* out) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays64(days, &y, &m, &d);
  const auto r = fmt::format_to_n(out, kMaxTimeText, "{}{:04}-{:02}-{:02}", y < 0 ? '-' : '+',
                                  y < 0 ? -y : y, m, d);
  return static_cast<int>(r.size);
}

// A date's text at the front of `v` ("2026-11-25", "+10000-01-01", "-0043-03-15") as days
// since 1970-01-01; consumed.
bool TakeDate(std::string_view& v, int64_t* days) {
  const bool negative = TakeChar(v, '-');
  if (!negative) TakeChar(v, '+');
  int64_t y = 0, m = 0, d = 0;
  // Nine digits hold every year of an int32 day or int64 microsecond, with room to spare.
  if (!TakeNumber(v, 4, 9, &y) || !TakeChar(v, '-') || !TakeNumber(v, 2, 2, &m) ||
      !TakeChar(v, '-') || !TakeNumber(v, 2, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return false;
  }
  *days = DaysFromCivil64(negative ? -y : y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

}  // namespace

int FormatDateText(int32_t days, char* out) {
  if (days >= kFixedFirstDay && days < kFixedEndDay) {
    FormatDate(days, out);
    return 10;
  }
  return FormatExpandedDate(days, out);
}

int FormatTimestampText(int64_t micros, char* out) {
  if (micros >= kFixedFirstDay * kMicrosPerDay && micros < kFixedEndDay * kMicrosPerDay) {
    FormatTimestampMicros(micros, out);
    return 26;
  }
  int64_t days = micros / kMicrosPerDay;
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) {  // floor: the time of day counts forward from midnight
    days -= 1;
    rem += kMicrosPerDay;
  }
  const int n = FormatExpandedDate(days, out);
  const int64_t secs = rem / 1'000'000;
  const auto r = fmt::format_to_n(out + n, kMaxTimeText - n, " {:02}:{:02}:{:02}.{:06}",
                                  secs / 3600, secs / 60 % 60, secs % 60, rem % 1'000'000);
  return n + static_cast<int>(r.size);
}

std::optional<int32_t> ParseDateText(std::string_view v) {
  int64_t days = 0;
  if (!TakeDate(v, &days) || !v.empty() || days < std::numeric_limits<int32_t>::min() ||
      days > std::numeric_limits<int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(days);
}

std::optional<int64_t> ParseTimestampText(std::string_view v) {
  int64_t days = 0, h = 0, mi = 0, sec = 0, frac = 0;
  if (!TakeDate(v, &days) || !(TakeChar(v, ' ') || TakeChar(v, 'T')) || !TakeNumber(v, 2, 2, &h) ||
      !TakeChar(v, ':') || !TakeNumber(v, 2, 2, &mi) || !TakeChar(v, ':') ||
      !TakeNumber(v, 2, 2, &sec) || h > 23 || mi > 59 || sec > 59) {
    return std::nullopt;
  }
  if (TakeChar(v, '.')) {
    const size_t before = v.size();
    if (!TakeNumber(v, 1, 6, &frac)) return std::nullopt;
    for (size_t n = before - v.size(); n < 6; ++n) frac *= 10;
  }
  TakeChar(v, 'Z');
  if (!v.empty()) return std::nullopt;
  // The first and last days of int64 microseconds hold it only in part: check in 128 bits.
  const __int128 us =
      static_cast<__int128>(days) * kMicrosPerDay + ((h * 60 + mi) * 60 + sec) * 1'000'000 + frac;
  if (us < std::numeric_limits<int64_t>::min() || us > std::numeric_limits<int64_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(us);
}

}  // namespace quarry::plugins::sqlite
