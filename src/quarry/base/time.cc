#include "quarry/base/time.h"

#include <chrono>
#include <cstdio>

namespace quarry {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Howard Hinnant's civil-date algorithms (public domain descriptions).
int32_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void CivilFromDays(int32_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int yy = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
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
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

void FormatDate(int32_t days, char* out) {
  int y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0) y = 0;
  if (y > 9999) y = 9999;
  PutN(out, static_cast<unsigned>(y), 4);
  out[4] = '-';
  Put2(out + 5, m);
  out[7] = '-';
  Put2(out + 8, d);
}

std::string FormatDate(int32_t days) {
  std::string s(10, ' ');
  FormatDate(days, s.data());
  return s;
}

void FormatTimestampMicros(int64_t micros, char* out) {
  const int64_t days = FloorDiv(micros, 86'400'000'000LL);
  int64_t rem = micros - days * 86'400'000'000LL;
  FormatDate(static_cast<int32_t>(days), out);
  out[10] = ' ';
  const unsigned secs = static_cast<unsigned>(rem / 1'000'000);
  const unsigned frac = static_cast<unsigned>(rem % 1'000'000);
  Put2(out + 11, secs / 3600);
  out[13] = ':';
  Put2(out + 14, secs / 60 % 60);
  out[16] = ':';
  Put2(out + 17, secs % 60);
  out[19] = '.';
  PutN(out + 20, frac, 6);
}

std::string FormatTimestampMicros(int64_t micros) {
  std::string s(26, ' ');
  FormatTimestampMicros(micros, s.data());
  return s;
}

std::string FormatRfc3339(int64_t micros) {
  std::string s = FormatTimestampMicros(micros);
  s[10] = 'T';
  s += 'Z';
  return s;
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
