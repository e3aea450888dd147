#include "quarry/base/time.h"

#include <fmt/format.h>

#include <cassert>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <limits>

namespace quarry {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Howard Hinnant's civil-date algorithms (public domain descriptions), in 64 bits so that the
// ends of int32 days and int64 microseconds do not overflow.
int64_t DaysFromCivil64(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + static_cast<int64_t>(doe) - 719'468;
}

void CivilFromDays64(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const auto doe = static_cast<unsigned>(z - era * 146'097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

int32_t DaysFromCivil(int y, unsigned m, unsigned d) {
  return static_cast<int32_t>(DaysFromCivil64(y, m, d));
}

void CivilFromDays(int32_t days, int* y, unsigned* m, unsigned* d) {
  int64_t y64 = 0;
  CivilFromDays64(days, &y64, m, d);
  *y = static_cast<int>(y64);  // every int32 day's year fits int
}

namespace {

inline void Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}
inline void PutN(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Days since the epoch and microseconds into that day (floor division).
void SplitMicros(int64_t micros, int64_t* days, int64_t* rem) {
  *days = micros / kMicrosPerDay;
  *rem = micros % kMicrosPerDay;
  if (*rem < 0) {
    *days -= 1;
    *rem += kMicrosPerDay;
  }
}

// "2026-11-25" for years 0000-9999, else "+10000-01-01" / "-0043-03-15".
void AppendDate(int64_t days, std::string* out) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays64(days, &y, &m, &d);
  if (y >= 0 && y <= 9999) {
    fmt::format_to(std::back_inserter(*out), "{:04}-{:02}-{:02}", y, m, d);
  } else {
    fmt::format_to(std::back_inserter(*out), "{}{:04}-{:02}-{:02}", y < 0 ? '-' : '+',
                   y < 0 ? -y : y, m, d);
  }
}

// `micros` as the date, `sep`, then "HH:MM:SS.ffffff".
std::string TimestampText(int64_t micros, char sep) {
  int64_t days = 0, rem = 0;
  SplitMicros(micros, &days, &rem);
  std::string s;
  s.reserve(32);
  AppendDate(days, &s);
  const int64_t secs = rem / 1'000'000;
  fmt::format_to(std::back_inserter(s), "{}{:02}:{:02}:{:02}.{:06}", sep, secs / 3600,
                 secs / 60 % 60, secs % 60, rem % 1'000'000);
  return s;
}

}  // namespace

void FormatDate(int32_t days, char* out) {
  assert(days >= kFirstFixedFormDay && days < kEndFixedFormDay);
  int y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  PutN(out, static_cast<unsigned>(y), 4);
  out[4] = '-';
  Put2(out + 5, m);
  out[7] = '-';
  Put2(out + 8, d);
}

std::string FormatDate(int32_t days) {
  std::string s;
  AppendDate(days, &s);
  return s;
}

void FormatTimestampMicros(int64_t micros, char* out) {
  int64_t days = 0, rem = 0;
  SplitMicros(micros, &days, &rem);
  FormatDate(static_cast<int32_t>(days), out);
  out[10] = ' ';
  const auto secs = static_cast<unsigned>(rem / 1'000'000);
  const auto frac = static_cast<unsigned>(rem % 1'000'000);
  Put2(out + 11, secs / 3600);
  out[13] = ':';
  Put2(out + 14, secs / 60 % 60);
  out[16] = ':';
  Put2(out + 17, secs % 60);
  out[19] = '.';
  PutN(out + 20, frac, 6);
}

std::string FormatTimestampMicros(int64_t micros) { return TimestampText(micros, ' '); }

std::string FormatRfc3339(int64_t micros) {
  std::string s = TimestampText(micros, 'T');
  s += 'Z';
  return s;
}

namespace {

// A cursor over the text being parsed.
struct Scanner {
  std::string_view v;

  bool Take(char c) {
    if (v.empty() || v[0] != c) return false;
    v.remove_prefix(1);
    return true;
  }
  // Between `min` and `max` digits, as a number.
  bool Number(size_t min, size_t max, int64_t* out) {
    size_t n = 0;
    int64_t x = 0;
    for (; n < v.size() && n < max && v[n] >= '0' && v[n] <= '9'; ++n) x = x * 10 + (v[n] - '0');
    if (n < min) return false;
    v.remove_prefix(n);
    *out = x;
    return true;
  }
};

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// Every year an int32 day or an int64 microsecond can hold has at most 7 digits; more than 12
// are refused before they could overflow.
constexpr size_t kMaxYearDigits = 12;

// "[+|-]YYYY-MM-DD" at the front: the year (astronomical) and whether it had a sign.
bool TakeDate(Scanner& s, int64_t* y, int64_t* m, int64_t* d, bool* signed_year) {
  const bool negative = s.Take('-');
  *signed_year = negative || s.Take('+');
  if (!s.Number(1, kMaxYearDigits, y) || !s.Take('-') || !s.Number(1, 2, m) || !s.Take('-') ||
      !s.Number(1, 2, d)) {
    return false;
  }
  if (negative) *y = -*y;
  return true;
}

// Whether the date exists; applies a trailing " BC" (PostgreSQL's years before 1 AD: 1 BC is
// year 0) when the year was written without a sign.
bool FinishDate(Scanner& s, int64_t* y, int64_t m, int64_t d, bool signed_year) {
  if (!signed_year && *y >= 1 && s.v == " BC") {
    s.v.remove_prefix(3);
    *y = 1 - *y;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m >= 1 && m <= 12 && d >= 1 && d <= kDays[m - 1] + (m == 2 && IsLeapYear(*y) ? 1 : 0);
}

}  // namespace

Result<int64_t> ParseIsoTimestamp(std::string_view text) {
  auto invalid = [&] { return Status::Invalid(fmt::format("invalid timestamp \"{}\"", text)); };
  Scanner s{text};
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
  bool signed_year = false;
  if (!TakeDate(s, &y, &mo, &d, &signed_year) || !(s.Take('T') || s.Take('t') || s.Take(' ')) ||
      !s.Number(1, 2, &h) || !s.Take(':') || !s.Number(1, 2, &mi) || !s.Take(':') ||
      !s.Number(1, 2, &sec) || h > 23 || mi > 59 || sec > 60) {
    return invalid();
  }
  if (s.Take('.')) {
    int digits = 0;
    for (; !s.v.empty() && s.v[0] >= '0' && s.v[0] <= '9'; s.v.remove_prefix(1), ++digits) {
      if (digits < 6) {
        frac = frac * 10 + (s.v[0] - '0');
      } else if (s.v[0] != '0') {
        return Status::Invalid(fmt::format(
            "timestamp \"{}\" is finer than a microsecond, which a timestamp cannot hold", text));
      }
    }
    if (digits == 0) return invalid();
    for (; digits < 6; ++digits) frac *= 10;
  }
  int64_t offset_minutes = 0;
  if (s.Take('Z') || s.Take('z')) {
  } else if (!s.v.empty() && (s.v[0] == '+' || s.v[0] == '-')) {
    const int64_t sign = s.v[0] == '-' ? -1 : 1;
    s.v.remove_prefix(1);
    int64_t oh = 0, om = 0;
    if (!s.Number(2, 2, &oh)) return invalid();
    if (!s.v.empty()) {
      s.Take(':');
      if (!s.Number(2, 2, &om)) return invalid();
    }
    if (oh > 23 || om > 59) return invalid();
    offset_minutes = sign * (oh * 60 + om);
  }
  if (!FinishDate(s, &y, mo, d, signed_year) || !s.v.empty()) return invalid();
  // The first and last days of int64 microseconds hold it only in part: check in 128 bits.
  const __int128 us = static_cast<__int128>(
                          DaysFromCivil64(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) *
                          kMicrosPerDay +
                      (((h * 60 + mi) - offset_minutes) * 60 + sec) * 1'000'000 + frac;
  if (us < std::numeric_limits<int64_t>::min() || us > std::numeric_limits<int64_t>::max()) {
    return Status::Invalid(
        fmt::format("timestamp \"{}\" is outside the range of a timestamp ({} to {})", text,
                    FormatRfc3339(std::numeric_limits<int64_t>::min()),
                    FormatRfc3339(std::numeric_limits<int64_t>::max())));
  }
  return static_cast<int64_t>(us);
}

Result<int32_t> ParseIsoDate(std::string_view text) {
  Scanner s{text};
  int64_t y = 0, m = 0, d = 0;
  bool signed_year = false;
  if (!TakeDate(s, &y, &m, &d, &signed_year) || !FinishDate(s, &y, m, d, signed_year) ||
      !s.v.empty()) {
    return Status::Invalid(fmt::format("invalid date \"{}\"", text));
  }
  const int64_t days = DaysFromCivil64(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  if (days < std::numeric_limits<int32_t>::min() || days > std::numeric_limits<int32_t>::max()) {
    return Status::Invalid(fmt::format("date \"{}\" is outside the range of a date ({} to {})",
                                       text, FormatDate(std::numeric_limits<int32_t>::min()),
                                       FormatDate(std::numeric_limits<int32_t>::max())));
  }
  return static_cast<int32_t>(days);
}

std::string FormatDuration(int64_t micros) {
  char buf[64];
  if (micros < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(micros / 1000));
  } else if (micros < 60'000'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(micros) / 1e6);
  } else {
    const long long s = micros / 1'000'000;
    if (s < 3600) {
      std::snprintf(buf, sizeof buf, "%lldm%llds", s / 60, s % 60);
    } else {
      std::snprintf(buf, sizeof buf, "%lldh%lldm%llds", s / 3600, s / 60 % 60, s % 60);
    }
  }
  return buf;
}

}  // namespace quarry
