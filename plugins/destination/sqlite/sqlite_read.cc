// Read: a table's rows back into batches of its Arrow schema, inverting the forms sqlite_bind.h
// stores.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "plugins/common/sql_text.h"
#include "plugins/destination/sqlite/sqlite_destination_impl.h"
#include "plugins/destination/sqlite/sqlite_time_text.h"
#include "quarry/base/uuid.h"
#include "quarry/types/json.h"

namespace quarry::plugins::sqlite {
namespace {

using sql::Quote;
using sql::QuoteList;
using types::TypeId;

// One stored value back into its Quarry type: the inverse of the write-side mapping (text forms
// for timestamps, dates, uuids and lists; decimal digits for uint64 above INT64_MAX).
Status ReadValue(sqlite3_stmt* st, int c, int kind, std::string_view view, types::ArrayBuilder& b) {
  const auto bad = [&] {
    return Status::Invalid(fmt::format("cannot read \"{}\" as {}", view, b.type()->ToString()));
  };
  switch (b.type()->id()) {
    case TypeId::kUtf8:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
    case TypeId::kBinary:
      b.AppendBytes(view);
      break;
    case TypeId::kInt8:
      b.Append<int8_t>(static_cast<int8_t>(sqlite3_column_int64(st, c)));
      break;
    case TypeId::kInt16:
      b.Append<int16_t>(static_cast<int16_t>(sqlite3_column_int64(st, c)));
      break;
    case TypeId::kInt32:
      b.Append<int32_t>(static_cast<int32_t>(sqlite3_column_int64(st, c)));
      break;
    case TypeId::kInt64:
      b.Append<int64_t>(sqlite3_column_int64(st, c));
      break;
    case TypeId::kUint8:
      b.Append<uint8_t>(static_cast<uint8_t>(sqlite3_column_int64(st, c)));
      break;
    case TypeId::kUint16:
      b.Append<uint16_t>(static_cast<uint16_t>(sqlite3_column_int64(st, c)));
      break;
    case TypeId::kUint32:
      b.Append<uint32_t>(static_cast<uint32_t>(sqlite3_column_int64(st, c)));
      break;
    case TypeId::kUint64: {
      if (kind == SQLITE_INTEGER) {
        b.Append<uint64_t>(static_cast<uint64_t>(sqlite3_column_int64(st, c)));
        break;
      }
      char* end = nullptr;
      const std::string digits(view);
      const unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
      if (digits.empty() || *end != '\0') return bad();
      b.Append<uint64_t>(v);
      break;
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double v = sqlite3_column_double(st, c);
      if (kind == SQLITE_TEXT || kind == SQLITE_BLOB) {  // 'NaN', '-0.0' (sqlite_bind.h)
        const std::string s(view);
        char* end = nullptr;
        v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return bad();
      }
      if (b.type()->id() == TypeId::kFloat32) {
        b.Append<float>(static_cast<float>(v));
      } else {
        b.Append<double>(v);
      }
      break;
    }
    case TypeId::kBool:
      b.AppendBool(sqlite3_column_int64(st, c) != 0);
      break;
    case TypeId::kTimestamp: {
      const auto us = ParseTimestampText(view);
      if (!us) return bad();
      b.Append<int64_t>(*us);
      break;
    }
    case TypeId::kDate32: {
      const auto days = ParseDateText(view);
      if (!days) return bad();
      b.Append<int32_t>(*days);
      break;
    }
    case TypeId::kUuid: {
      uint8_t u[16];
      if (!types::ParseUuid(view, u).ok()) return bad();
      b.AppendBytes(std::string_view(reinterpret_cast<const char*>(u), 16));
      break;
    }
    case TypeId::kList:
      QUARRY_RETURN_NOT_OK(types::AppendJsonText(b, view));
      break;
  }
  return Status::OK();
}

}  // namespace

Status SqliteDestination::Read(const schema::Table& table,
                               const std::function<Status(types::RecordBatchPtr)>& fn) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  QUARRY_ASSIGN_OR_RETURN(auto existing, ExistingColumns(table.name));
  if (!existing) return Status::OK();
  std::vector<std::string> names;
  for (const auto& c : table.columns) names.push_back(c.name);
  const std::string what = fmt::format("table {}: read", table.name);
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st,
      Prepare(fmt::format("SELECT {} FROM {}", QuoteList(names), Quote(table.name)), what));
  types::RecordBatchBuilder builder(table.arrow_schema);
  int64_t row = 0;
  int rc;
  sqlite3_stmt* st_ptr = st.get();
  while ((rc = sqlite3_step(st_ptr)) == SQLITE_ROW) {
    for (int c = 0; c < static_cast<int>(names.size()); ++c) {
      types::ArrayBuilder& b = builder.column(c);
      const int kind = sqlite3_column_type(st.get(), c);
      if (kind == SQLITE_NULL) {
        b.AppendNull();
        continue;
      }
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), c));
      const std::string_view view(text, static_cast<size_t>(sqlite3_column_bytes(st.get(), c)));
      Status vst = ReadValue(st_ptr, c, kind, view, b);
      if (!vst.ok()) {
        return vst.WithContext(fmt::format("table {}: column {}, row {}", table.name,
                                           names[static_cast<size_t>(c)], row));
      }
    }
    ++row;
    if (builder.num_rows() >= 10'000) {
      QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, builder.Finish());
      QUARRY_RETURN_NOT_OK(fn(std::move(batch)));
    }
  }
  if (rc != SQLITE_DONE) return Error(what);
  if (builder.num_rows() > 0) {
    QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, builder.Finish());
    QUARRY_RETURN_NOT_OK(fn(std::move(batch)));
  }
  return Status::OK();
}

}  // namespace quarry::plugins::sqlite
