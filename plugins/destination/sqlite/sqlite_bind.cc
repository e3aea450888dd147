#include "plugins/destination/sqlite/sqlite_bind.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "plugins/destination/sqlite/sqlite_time_text.h"
#include "quarry/base/uuid.h"
#include "quarry/types/json.h"

namespace quarry::plugins::sqlite {
namespace {

using types::TypeId;

static_assert(kSlot >= kMaxTimeText);

// SQLite keeps neither a NaN (it binds as NULL) nor the sign of a -0.0 (a REAL equal to an
// integer is stored as that integer). NaN is stored as the text 'NaN', which REAL affinity
// leaves as text; -0.0 as the blob '-0.0', as any text of it would be made a number again.
// Infinities are REALs as they are.
constexpr char kNaNText[] = "NaN";
constexpr char kNegativeZeroText[] = "-0.0";

int BindDouble(sqlite3_stmt* st, int p, double v) {
  if (std::isnan(v)) return sqlite3_bind_text(st, p, kNaNText, 3, SQLITE_STATIC);
  if (v == 0 && std::signbit(v)) {
    return sqlite3_bind_blob(st, p, kNegativeZeroText, 4, SQLITE_STATIC);
  }
  return sqlite3_bind_double(st, p, v);
}

template <typename T>
inline T Load(const uint8_t* values, int64_t i) {
  T v;
  std::memcpy(&v, values + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

inline bool Bit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

// Calls bind(i, p) for each valid row i in [start, start + count), with p the parameter
// first, first + stride, …; binds NULL for null rows. The null test is hoisted out of the loop
// when the column has no nulls. Returns the sqlite result codes OR-ed together: SQLITE_OK (0)
// when every bind succeeded.
template <typename F>
inline int ForEachRow(sqlite3_stmt* st, const types::Array& a, int64_t start, int64_t count,
                      int first, int stride, F&& bind) {
  const uint8_t* valid =
      a.null_count() > 0 && a.validity_buffer() != nullptr ? a.validity_buffer()->data() : nullptr;
  int p = first;
  int rc = SQLITE_OK;
  const int64_t end = start + count;
  if (valid == nullptr) {
    for (int64_t i = start; i < end; ++i, p += stride) rc |= bind(i, p);
  } else {
    for (int64_t i = start; i < end; ++i, p += stride) {
      rc |= Bit(valid, i) ? bind(i, p) : sqlite3_bind_null(st, p);
    }
  }
  return rc;
}

template <typename T>
int BindIntegers(sqlite3_stmt* st, const types::Array& a, const uint8_t* values, int64_t start,
                 int64_t count, int first, int stride) {
  return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
    return sqlite3_bind_int64(st, p, static_cast<sqlite3_int64>(Load<T>(values, i)));
  });
}

// Binds one column's rows [start, start + count) to parameters first, first + stride, ….
// Returns SQLITE_OK or the OR of the failed binds' codes. REQUIRES: the type is not a list.
int BindRange(sqlite3_stmt* st, const types::Array& a, int64_t start, int64_t count, int first,
              int stride, char* arena) {
  const uint8_t* values = a.values_buffer() != nullptr ? a.values_buffer()->data() : nullptr;
  auto slot = [arena](int p) { return arena + static_cast<size_t>(p - 1) * kSlot; };
  switch (a.type()->id()) {
    case TypeId::kInt8:
      return BindIntegers<int8_t>(st, a, values, start, count, first, stride);
    case TypeId::kInt16:
      return BindIntegers<int16_t>(st, a, values, start, count, first, stride);
    case TypeId::kInt32:
      return BindIntegers<int32_t>(st, a, values, start, count, first, stride);
    case TypeId::kInt64:
      return BindIntegers<int64_t>(st, a, values, start, count, first, stride);
    case TypeId::kUint8:
      return BindIntegers<uint8_t>(st, a, values, start, count, first, stride);
    case TypeId::kUint16:
      return BindIntegers<uint16_t>(st, a, values, start, count, first, stride);
    case TypeId::kUint32:
      return BindIntegers<uint32_t>(st, a, values, start, count, first, stride);
    case TypeId::kUint64:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        const uint64_t v = Load<uint64_t>(values, i);
        if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return sqlite3_bind_int64(st, p, static_cast<sqlite3_int64>(v));
        }
        // Text would be turned into a (rounded) REAL by the column's INTEGER affinity; a blob
        // of the decimal digits is kept as is and reads back as the exact number text.
        char* s = slot(p);
        const auto r = fmt::format_to_n(s, kSlot, "{}", v);
        return sqlite3_bind_blob(st, p, s, static_cast<int>(r.size), SQLITE_STATIC);
      });
    case TypeId::kFloat32:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        return BindDouble(st, p, static_cast<double>(Load<float>(values, i)));
      });
    case TypeId::kFloat64:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        return BindDouble(st, p, Load<double>(values, i));
      });
    case TypeId::kBool:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        return sqlite3_bind_int(st, p, Bit(values, i) ? 1 : 0);
      });
    case TypeId::kUtf8:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
    case TypeId::kBinary: {
      const char* data = a.data_buffer() != nullptr && a.data_buffer()->data() != nullptr
                             ? reinterpret_cast<const char*>(a.data_buffer()->data())
                             : kEmpty;
      if (a.type()->id() == TypeId::kBinary) {
        return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
          const int32_t b = Load<int32_t>(values, i);
          return sqlite3_bind_blob(st, p, data + b, Load<int32_t>(values, i + 1) - b,
                                   SQLITE_STATIC);
        });
      }
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        const int32_t b = Load<int32_t>(values, i);
        return sqlite3_bind_text(st, p, data + b, Load<int32_t>(values, i + 1) - b, SQLITE_STATIC);
      });
    }
    case TypeId::kTimestamp:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        char* s = slot(p);
        const int n = FormatTimestampText(Load<int64_t>(values, i), s);
        return sqlite3_bind_text(st, p, s, n, SQLITE_STATIC);
      });
    case TypeId::kDate32:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        char* s = slot(p);
        const int n = FormatDateText(Load<int32_t>(values, i), s);
        return sqlite3_bind_text(st, p, s, n, SQLITE_STATIC);
      });
    case TypeId::kUuid:
      return ForEachRow(st, a, start, count, first, stride, [&](int64_t i, int p) {
        char* s = slot(p);
        FormatUuid(values + i * 16, s);
        return sqlite3_bind_text(st, p, s, 36, SQLITE_STATIC);
      });
    case TypeId::kList:
      break;  // BindColumn's job
  }
  return SQLITE_OK;
}

}  // namespace

int BindColumn(TableWriter& w, sqlite3_stmt* st, const std::vector<Segment>& segments, int c) {
  const int n = w.num_columns;
  int rc = SQLITE_OK;
  if (w.type_ids[static_cast<size_t>(c)] != TypeId::kList) {
    int64_t row = 0;
    for (const Segment& s : segments) {
      rc |= BindRange(st, s.batch->column(c), s.start, s.count, static_cast<int>(row) * n + c + 1,
                      n, w.arena.data());
      row += s.count;
    }
    return rc;
  }
  // Lists become JSON text of varying length: format the whole chunk first, so that the
  // buffer stops moving before its pieces are bound.
  std::string& text = w.list_text[static_cast<size_t>(c)];
  text.clear();
  w.list_ends.clear();
  for (const Segment& s : segments) {
    const types::Array& a = s.batch->column(c);
    for (int64_t i = s.start; i < s.start + s.count; ++i) {
      if (a.IsNull(i)) {
        w.list_ends.push_back(-1);
      } else {
        types::AppendValueJson(a, i, &text);
        w.list_ends.push_back(static_cast<int64_t>(text.size()));
      }
    }
  }
  int64_t begin = 0;
  int p = c + 1;
  for (int64_t end : w.list_ends) {
    if (end < 0) {
      rc |= sqlite3_bind_null(st, p);
    } else {
      rc |= sqlite3_bind_text(st, p, text.data() + begin, static_cast<int>(end - begin),
                              SQLITE_STATIC);
      begin = end;
    }
    p += n;
  }
  return rc;
}

int BindChunk(TableWriter& w, sqlite3_stmt* st, const std::vector<Segment>& segments) {
  int rc = SQLITE_OK;
  for (int c = 0; c < w.num_columns; ++c) rc |= BindColumn(w, st, segments, c);
  return rc;
}

}  // namespace quarry::plugins::sqlite
