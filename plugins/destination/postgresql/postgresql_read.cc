// Read: a table's rows back through a cursor, from the server's text output.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "plugins/common/text_scan.h"
#include "plugins/destination/postgresql/postgresql_destination_impl.h"
#include "quarry/base/time.h"
#include "quarry/types/json.h"

namespace quarry::plugins::postgresql {
namespace {

using sql::Quote;
using types::TypeId;

// Rows per FETCH when reading a table back.
constexpr int kReadRows = 10'000;

// The server's ISO text of a date ("2026-11-25", "10000-01-01", "0044-03-15 BC") or, with
// `with_time`, of a timestamp ("2026-11-25 16:46:29.123456", "0044-03-15 12:00:00 BC"): days
// since 1970-01-01 (proleptic Gregorian, 44 BC being year -43) and microseconds into the day.
// False for any other text.
bool ParsePgDateTime(std::string_view v, bool with_time, int64_t* days, int64_t* micros) {
  const bool bc = v.ends_with(" BC");
  if (bc) v.remove_suffix(3);
  int64_t y = 0, mo = 0, d = 0;
  // 5874897 is the largest year PostgreSQL keeps.
  if (!TakeNumber(v, 4, 7, &y) || !TakeChar(v, '-') || !TakeNumber(v, 2, 2, &mo) ||
      !TakeChar(v, '-') || !TakeNumber(v, 2, 2, &d) || y > 5'874'897 || mo < 1 || mo > 12 ||
      d < 1 || d > 31) {
    return false;
  }
  if (bc) y = 1 - y;
  *days = DaysFromCivil(static_cast<int>(y), static_cast<unsigned>(mo), static_cast<unsigned>(d));
  *micros = 0;
  if (with_time) {
    int64_t h = 0, mi = 0, sec = 0, frac = 0;
    if (!TakeChar(v, ' ') || !TakeNumber(v, 2, 2, &h) || !TakeChar(v, ':') ||
        !TakeNumber(v, 2, 2, &mi) || !TakeChar(v, ':') || !TakeNumber(v, 2, 2, &sec) || h > 23 ||
        mi > 59 || sec > 59) {
      return false;
    }
    if (TakeChar(v, '.')) {
      const size_t before = v.size();
      if (!TakeNumber(v, 1, 6, &frac)) return false;
      for (size_t n = before - v.size(); n < 6; ++n) frac *= 10;
    }
    *micros = ((h * 60 + mi) * 60 + sec) * 1'000'000 + frac;
  }
  return v.empty();
}

// Text output of the server -> one value of the column's type.
bool AppendText(types::ArrayBuilder& b, std::string_view v) {
  auto integer = [&](auto lo, auto hi, auto tag) {
    using T = decltype(tag);
    long long x = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || x < static_cast<long long>(lo) ||
        x > static_cast<long long>(hi)) {
      return false;
    }
    b.Append<T>(static_cast<T>(x));
    return true;
  };
  switch (b.type()->id()) {
    case TypeId::kUtf8:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
      b.AppendBytes(v);
      return true;
    case TypeId::kBinary: {
      // bytea_output = hex: "\x0a1b…"
      if (!v.starts_with("\\x") || v.size() % 2 != 0) return false;
      std::string bytes;
      for (size_t i = 2; i < v.size(); i += 2) {
        const int hi = HexValue(v[i]);
        const int lo = HexValue(v[i + 1]);
        if (hi < 0 || lo < 0) return false;
        bytes.push_back(static_cast<char>(hi * 16 + lo));
      }
      b.AppendBytes(bytes);
      return true;
    }
    case TypeId::kBool:
      if (v != "t" && v != "f") return false;
      b.AppendBool(v == "t");
      return true;
    case TypeId::kInt8:
      return integer(INT8_MIN, INT8_MAX, int8_t{});
    case TypeId::kInt16:
      return integer(INT16_MIN, INT16_MAX, int16_t{});
    case TypeId::kInt32:
      return integer(INT32_MIN, INT32_MAX, int32_t{});
    case TypeId::kInt64:
      return integer(INT64_MIN, INT64_MAX, int64_t{});
    case TypeId::kUint8:
      return integer(0, UINT8_MAX, uint8_t{});
    case TypeId::kUint16:
      return integer(0, UINT16_MAX, uint16_t{});
    case TypeId::kUint32:
      return integer(0, UINT32_MAX, uint32_t{});
    case TypeId::kUint64: {
      uint64_t x = 0;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return false;
      b.Append<uint64_t>(x);
      return true;
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      // strtof/strtod read NaN, Infinity, -Infinity and -0 as the server writes them; a real is
      // read as a float, so that its shortest text is not rounded twice.
      const std::string s(v);
      char* end = nullptr;
      errno = 0;
      if (b.type()->id() == TypeId::kFloat32) {
        const float f = std::strtof(s.c_str(), &end);
        if (s.empty() || *end != '\0') return false;
        b.Append<float>(f);
      } else {
        const double d = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return false;
        b.Append<double>(d);
      }
      return true;
    }
    case TypeId::kTimestamp: {
      int64_t days = 0, micros = 0, us = 0;
      // PostgreSQL keeps timestamps up to 294276 AD; int64 microseconds end in 294247.
      if (!ParsePgDateTime(v, /*with_time=*/true, &days, &micros) ||
          __builtin_mul_overflow(days, int64_t{86'400'000'000}, &us) ||
          __builtin_add_overflow(us, micros, &us)) {
        return false;
      }
      b.Append<int64_t>(us);
      return true;
    }
    case TypeId::kDate32: {
      int64_t days = 0, micros = 0;
      if (!ParsePgDateTime(v, /*with_time=*/false, &days, &micros)) return false;
      b.Append<int32_t>(static_cast<int32_t>(days));  // PostgreSQL's dates all fit
      return true;
    }
    case TypeId::kUuid: {
      uint8_t u[16];
      if (!types::ParseUuid(v, u).ok()) return false;
      b.AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      return true;
    }
    case TypeId::kList:
      return types::AppendJsonText(b, v).ok();
  }
  return false;
}

}  // namespace

Status PostgresqlDestination::Read(const schema::Table& table,
                                   const std::function<Status(types::RecordBatchPtr)>& fn) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  QUARRY_ASSIGN_OR_RETURN(auto existing, ExistingColumns(table.name));
  if (!existing) return Status::OK();
  std::vector<std::string> names;
  std::string select;  // lists come back as JSON arrays, which every element type can parse
  for (const auto& c : table.columns) {
    names.push_back(c.name);
    if (!select.empty()) select += ", ";
    select += c.type->id() == TypeId::kList ? fmt::format("to_json({})::text", Quote(c.name))
                                            : Quote(c.name);
  }
  const std::string what = fmt::format("table {}: read", table.name);
  // A cursor keeps memory bounded by one FETCH, whatever the table's size.
  QUARRY_RETURN_NOT_OK(Exec("BEGIN READ ONLY", what));
  auto run = [&]() -> Status {
    QUARRY_RETURN_NOT_OK(
        Exec(fmt::format("DECLARE quarry_read NO SCROLL CURSOR FOR SELECT {} FROM {}", select,
                         Qualified(table.name)),
             what));
    types::RecordBatchBuilder builder(table.arrow_schema);
    int64_t row = 0;
    const std::string fetch = fmt::format("FETCH FORWARD {} FROM quarry_read", kReadRows);
    while (true) {
      PgResult res(conn_->Exec(fetch));
      if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return Error(what, res.get());
      const int n = PQntuples(res.get());
      if (n == 0) break;
      for (int r = 0; r < n; ++r, ++row) {
        for (int c = 0; c < static_cast<int>(names.size()); ++c) {
          types::ArrayBuilder& b = builder.column(c);
          if (PQgetisnull(res.get(), r, c)) {
            b.AppendNull();
            continue;
          }
          const std::string_view v(PQgetvalue(res.get(), r, c),
                                   static_cast<size_t>(PQgetlength(res.get(), r, c)));
          if (!AppendText(b, v)) {
            return Status::Invalid(
                fmt::format("table {}: column {}, row {}: cannot read \"{}\" as {}", table.name,
                            names[static_cast<size_t>(c)], row, v, b.type()->ToString()));
          }
        }
      }
      QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, builder.Finish());
      QUARRY_RETURN_NOT_OK(fn(std::move(batch)));
    }
    return Exec("COMMIT", what);
  };
  Status st = run();
  if (!st.ok()) Rollback();
  return st;
}

}  // namespace quarry::plugins::postgresql
