// Stored SQLite values as Quarry values: what each storage class may become in each type, the
// text forms of dates and timestamps, and cursor values kept to be bound again.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/source/sqlite/sqlite_source_impl.h"
#include "quarry/base/time.h"
#include "quarry/types/json.h"

namespace quarry::plugins::sqlite_source {
namespace {

using types::ArrayBuilder;
using types::TypeId;

bool AllDigits(std::string_view s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  for (size_t i = from; i < from + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int Number(std::string_view s, size_t from, size_t n) {
  int v = 0;
  for (size_t i = from; i < from + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// Days since the epoch of a valid "YYYY-MM-DD" prefix of `s`.
std::optional<int32_t> ParseDatePrefix(std::string_view s) {
  if (!AllDigits(s, 0, 4) || s.size() < 10 || s[4] != '-' || !AllDigits(s, 5, 2) || s[7] != '-' ||
      !AllDigits(s, 8, 2)) {
    return std::nullopt;
  }
  const int y = Number(s, 0, 4), m = Number(s, 5, 2), d = Number(s, 8, 2);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return std::nullopt;
  if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<int32_t> ParseDate(std::string_view s) {
  if (s.size() != 10) return std::nullopt;
  return ParseDatePrefix(s);
}

// "YYYY-MM-DD", or "YYYY-MM-DD HH:MM:SS[.fraction]" (or with a "T"), optionally followed by "Z"
// or an offset "±HH:MM" / "±HHMM" / "±HH". Microseconds since the epoch, UTC.
std::optional<int64_t> ParseTimestampText(std::string_view s) {
  const auto days = ParseDatePrefix(s);
  if (!days) return std::nullopt;
  if (s.size() == 10) return int64_t{*days} * 86'400'000'000LL;
  if (s.size() < 19 || (s[10] != ' ' && s[10] != 'T') || !AllDigits(s, 11, 2) || s[13] != ':' ||
      !AllDigits(s, 14, 2) || s[16] != ':' || !AllDigits(s, 17, 2) || Number(s, 11, 2) > 23 ||
      Number(s, 14, 2) > 59 || Number(s, 17, 2) > 60) {
    return std::nullopt;
  }
  size_t end = 19;
  if (end < s.size() && s[end] == '.') {
    const size_t first = ++end;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    if (end == first) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  std::string_view zone = s.substr(end);
  if (zone == "Z" || zone == "z" || zone.empty()) {
  } else if (zone[0] == '+' || zone[0] == '-') {
    const int sign = zone[0] == '-' ? -1 : 1;
    int h, m = 0;
    if (zone.size() == 3 && AllDigits(zone, 1, 2)) {
      h = Number(zone, 1, 2);
    } else if (zone.size() == 5 && AllDigits(zone, 1, 4)) {
      h = Number(zone, 1, 2);
      m = Number(zone, 3, 2);
    } else if (zone.size() == 6 && zone[3] == ':' && AllDigits(zone, 1, 2) &&
               AllDigits(zone, 4, 2)) {
      h = Number(zone, 1, 2);
      m = Number(zone, 4, 2);
    } else {
      return std::nullopt;
    }
    if (h > 23 || m > 59) return std::nullopt;
    offset_minutes = sign * (h * 60 + m);
  } else {
    return std::nullopt;
  }
  auto us = types::ParseTimestamp(s.substr(0, end));
  if (!us.ok()) return std::nullopt;
  return *us - offset_minutes * 60'000'000LL;
}

// A stored value for error messages: `integer 5`, `real 2.5`, `text "abc"`, `blob of 3 bytes`.
std::string Describe(sqlite3_stmt* st, int i, int storage) {
  switch (storage) {
    case SQLITE_INTEGER:
      return fmt::format("integer {}", sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
      return fmt::format("real {}", sqlite3_column_double(st, i));
    case SQLITE_TEXT: {
      std::string_view t = ColumnText(st, i);
      size_t cut = 60;
      if (t.size() <= cut) return fmt::format("text \"{}\"", t);
      while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
      return fmt::format("text \"{}…\"", t.substr(0, cut));
    }
    default:
      return fmt::format("blob of {} bytes", sqlite3_column_bytes(st, i));
  }
}

}  // namespace

Status AppendValue(sqlite3_stmt* st, int i, ArrayBuilder& b) {
  const int storage = sqlite3_column_type(st, i);
  if (storage == SQLITE_NULL) {
    b.AppendNull();
    return Status::OK();
  }
  auto unfit = [&](std::string_view type, std::string_view hint = {}) {
    return Status::Invalid(
        fmt::format("{} is not a valid {}{}", Describe(st, i, storage), type, hint));
  };
  switch (b.type()->id()) {
    case TypeId::kInt64:
      if (storage != SQLITE_INTEGER) return unfit("int64");
      b.Append<int64_t>(sqlite3_column_int64(st, i));
      return Status::OK();
    case TypeId::kFloat64:
      // How the sqlite destination keeps what a REAL cannot: NaN as text, -0.0 as a blob.
      if (storage == SQLITE_TEXT && ColumnText(st, i) == "NaN") {
        b.Append<double>(std::numeric_limits<double>::quiet_NaN());
        return Status::OK();
      }
      if (storage == SQLITE_BLOB && ColumnBlob(st, i) == "-0.0") {
        b.Append<double>(-0.0);
        return Status::OK();
      }
      if (storage != SQLITE_INTEGER && storage != SQLITE_FLOAT) return unfit("float64");
      b.Append<double>(sqlite3_column_double(st, i));
      return Status::OK();
    case TypeId::kBool:
      if (storage == SQLITE_INTEGER) {
        const int64_t v = sqlite3_column_int64(st, i);
        if (v != 0 && v != 1) return unfit("bool", " (want 0, 1, true or false)");
        b.AppendBool(v == 1);
        return Status::OK();
      }
      if (storage == SQLITE_TEXT) {
        const std::string_view t = ColumnText(st, i);
        if (!EqualsIgnoreCase(t, "true") && !EqualsIgnoreCase(t, "false")) {
          return unfit("bool", " (want 0, 1, true or false)");
        }
        b.AppendBool(EqualsIgnoreCase(t, "true"));
        return Status::OK();
      }
      return unfit("bool", " (want 0, 1, true or false)");
    case TypeId::kTimestamp: {
      constexpr std::string_view kHint =
          " (want text YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM] or integer Unix seconds)";
      if (storage == SQLITE_INTEGER) {
        const int64_t s = sqlite3_column_int64(st, i);
        constexpr int64_t kMaxSeconds = INT64_MAX / 1'000'000;
        if (s > kMaxSeconds || s < -kMaxSeconds) return unfit("timestamp", kHint);
        b.Append<int64_t>(s * 1'000'000);
        return Status::OK();
      }
      if (storage != SQLITE_TEXT) return unfit("timestamp", kHint);
      const auto us = ParseTimestampText(ColumnText(st, i));
      if (!us) return unfit("timestamp", kHint);
      b.Append<int64_t>(*us);
      return Status::OK();
    }
    case TypeId::kDate32: {
      if (storage != SQLITE_TEXT) return unfit("date", " (want text YYYY-MM-DD)");
      const auto days = ParseDate(ColumnText(st, i));
      if (!days) return unfit("date", " (want text YYYY-MM-DD)");
      b.Append<int32_t>(*days);
      return Status::OK();
    }
    case TypeId::kUuid: {
      if (storage == SQLITE_BLOB && sqlite3_column_bytes(st, i) == 16) {
        b.AppendBytes(ColumnBlob(st, i));
        return Status::OK();
      }
      uint8_t u[16];
      if (storage != SQLITE_TEXT || !types::ParseUuid(ColumnText(st, i), u).ok()) {
        return unfit("uuid", " (want text xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or a 16-byte blob)");
      }
      b.AppendBytes(std::string_view(reinterpret_cast<const char*>(u), 16));
      return Status::OK();
    }
    case TypeId::kJson: {
      if (storage == SQLITE_BLOB) return unfit("json");
      // Reals in their shortest exact form; SQLite's own text form keeps 15 digits.
      const std::string real =
          storage == SQLITE_FLOAT ? fmt::format("{}", sqlite3_column_double(st, i)) : "";
      const std::string_view t =
          storage == SQLITE_FLOAT ? std::string_view(real) : ColumnText(st, i);
      if (!nlohmann::json::accept(t)) return unfit("json");
      b.AppendBytes(t);
      return Status::OK();
    }
    case TypeId::kBinary:
      if (storage == SQLITE_BLOB) {
        b.AppendBytes(ColumnBlob(st, i));
      } else if (storage == SQLITE_TEXT) {
        b.AppendBytes(ColumnText(st, i));
      } else {
        return unfit("binary");
      }
      return Status::OK();
    case TypeId::kUtf8:
      if (storage == SQLITE_TEXT || storage == SQLITE_INTEGER) {
        b.AppendBytes(ColumnText(st, i));
      } else if (storage == SQLITE_FLOAT) {
        b.AppendBytes(fmt::format("{}", sqlite3_column_double(st, i)));
      } else {
        return unfit("utf8");
      }
      return Status::OK();
    default:
      return Status::Internal(fmt::format("sqlite source: no reader for {}", b.type()->ToString()));
  }
}

void SqlValue::Read(sqlite3_stmt* st, int col) {
  storage = sqlite3_column_type(st, col);
  switch (storage) {
    case SQLITE_INTEGER:
      i = sqlite3_column_int64(st, col);
      break;
    case SQLITE_FLOAT:
      d = sqlite3_column_double(st, col);
      break;
    case SQLITE_TEXT:
      s.assign(ColumnText(st, col));
      break;
    case SQLITE_BLOB:
      s.assign(ColumnBlob(st, col));
      break;
    default:
      break;
  }
}

int SqlValue::Bind(sqlite3_stmt* st, int param) const {
  switch (storage) {
    case SQLITE_INTEGER:
      return sqlite3_bind_int64(st, param, i);
    case SQLITE_FLOAT:
      return sqlite3_bind_double(st, param, d);
    case SQLITE_TEXT:
      return sqlite3_bind_text(st, param, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    case SQLITE_BLOB:
      return sqlite3_bind_blob(st, param, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    default:
      return sqlite3_bind_null(st, param);
  }
}

std::string SqlValue::CursorText() const {
  switch (storage) {
    case SQLITE_INTEGER:
      return fmt::format("{}", i);
    case SQLITE_FLOAT:
      return fmt::format("{}", d);
    default:
      return s;
  }
}

}  // namespace quarry::plugins::sqlite_source
