#include "plugins/destination/sqlite/sqlite_destination.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/common/sqlite_path.h"
#include "plugins/common/text_scan.h"
#include "quarry/base/time.h"
#include "quarry/base/uuid.h"
#include "quarry/schema/diff.h"
#include "quarry/types/json.h"

namespace quarry::plugins {
namespace {

using sql::Quote;
using sql::QuoteList;

using plugin::MigrateMode;
using plugin::PkMode;
using plugin::WriteMode;
using types::TypeId;

// Rows per multi-row INSERT (capped so that rows x columns stays within SQLite's parameter
// limit). Binding costs the same per value whatever the statement size; what multi-row
// statements save is the per-step overhead (VDBE start-up, reset, affinity set-up). In
// sqlite_destination_bench (11 columns, CPU time relative to a plain loop of single-row
// inserts): 1 row 0.98-1.01, 4 rows 1.03-1.09, 16 rows 1.12-1.19, 32 rows 1.16-1.26,
// 64 rows 1.23-1.27, 256 rows 1.24-1.30. 64 is on the plateau with a small statement and
// scratch arena.
constexpr int kRowsPerStatement = 64;

// Bytes of scratch per bound parameter for values formatted to text (uuid: 36 chars, the
// longest; then timestamps of expanded years, up to 29).
constexpr int kSlot = 40;

// Bound with SQLITE_STATIC in place of a null pointer, which SQLite would store as NULL.
constexpr char kEmpty[] = "";

std::string_view SqliteType(const types::DataType& t) {
  if (t.is_integer()) return "integer";
  switch (t.id()) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return "real";
    case TypeId::kBool:
      return "boolean";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kBinary:
      return "blob";
    default:
      return "text";
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Rows [start, start + count) of one batch: a piece of a statement's worth of rows.
struct Segment {
  const types::RecordBatch* batch;
  int64_t start;
  int64_t count;
};

// What Write needs for one table: cached statements and scratch memory, rebuilt when the
// table's columns change.
struct TableWriter {
  std::string table;
  std::vector<std::string> names;
  std::vector<TypeId> type_ids;
  std::vector<int> not_null;  // column indexes
  int num_columns = 0;
  int chunk_rows = 1;
  std::string insert_head;  // INSERT INTO "t" ("a", "b") VALUES
  std::string row_tuple;    // (?,?)
  std::string tail;         // ON CONFLICT … or empty
  Stmt full;                // chunk_rows rows
  Stmt partial;             // partial_rows rows, for the last rows of a Write
  int partial_rows = 0;
  Stmt single;  // one row, to find the row that made a statement fail
  // kSlot bytes per parameter of `full`, for timestamps, dates, uuids, large uint64s. With
  // SQLITE_STATIC the text must live until the statement is stepped, and a multi-row statement
  // holds many formatted values at once.
  std::vector<char> arena;
  std::vector<std::string> list_text;  // per column: the JSON text of a chunk's lists
  std::vector<int64_t> list_ends;      // end offsets into list_text, -1 for null
  std::vector<Segment> segments;       // scratch

  std::string InsertSql(int rows) const {
    std::string sql = insert_head;
    sql.reserve(insert_head.size() + rows * (row_tuple.size() + 1) + tail.size());
    for (int r = 0; r < rows; ++r) {
      if (r > 0) sql.push_back(',');
      sql += row_tuple;
    }
    sql += tail;
    return sql;
  }
};

// Timestamps and dates are text. Years 0000-9999 keep the fixed form ("2026-11-25 16:46:29.123456",
// "2026-11-25") that SQLite's date functions read and that sorts in time order; other years
// take ISO 8601's expanded form, with a sign and at least four digits, counted astronomically
// (year 0 is 1 BC): "+10000-01-01 00:00:00.000000", "-0043-03-15". Every int64 microsecond and
// int32 day so has a text that reads back as itself.
constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr int64_t kFixedFirstDay = -719'528;  // 0000-01-01
constexpr int64_t kFixedEndDay = 2'932'897;   // 10000-01-01

// The expanded form of a day outside years 0000-9999; returns its length.
int FormatExpandedDate(int64_t days, char* out) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays64(days, &y, &m, &d);
  const auto r =
      fmt::format_to_n(out, kSlot, "{}{:04}-{:02}-{:02}", y < 0 ? '-' : '+', y < 0 ? -y : y, m, d);
  return static_cast<int>(r.size);
}

// A date's text (see above); returns its length.
int FormatDateText(int32_t days, char* out) {
  if (days >= kFixedFirstDay && days < kFixedEndDay) {
    FormatDate(days, out);
    return 10;
  }
  return FormatExpandedDate(days, out);
}

// A timestamp's text (see above); returns its length.
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
  const auto r = fmt::format_to_n(out + n, kSlot - n, " {:02}:{:02}:{:02}.{:06}", secs / 3600,
                                  secs / 60 % 60, secs % 60, rem % 1'000'000);
  return n + static_cast<int>(r.size);
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

// A date's text (also as other tools write it) as days since 1970-01-01; nullopt for other
// text or a day outside int32.
std::optional<int32_t> ParseDateText(std::string_view v) {
  int64_t days = 0;
  if (!TakeDate(v, &days) || !v.empty() || days < std::numeric_limits<int32_t>::min() ||
      days > std::numeric_limits<int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(days);
}

// A timestamp's text (also with "T" for the space, fewer fraction digits or a trailing "Z", as
// other tools write it) as microseconds since the epoch; nullopt for other text or a time
// outside int64.
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

// Binds column c of the rows of `segments` (in order) to a statement with one tuple per row.
// Returns SQLITE_OK or the OR of the failed binds' codes.
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

class SqliteDestination final : public plugin::DestinationPlugin {
 public:
  ~SqliteDestination() override { (void)Close(); }

  Status Configure(const nlohmann::json& spec) override;
  plugin::BatchOptions batch_options() const override { return batch_; }
  Status Init(const plugin::PluginContext& ctx, const plugin::DestinationOptions& options) override;
  Status Migrate(const std::vector<schema::TablePtr>& tables) override;
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override;
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override;
  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override;
  Result<std::unique_ptr<plugin::SyncLock>> TryLock(std::string_view name) override;
  bool has_transactions() const override { return true; }
  Status BeginTransaction() override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override;
  Status Close() override;

 private:
  // Checks a write's batches (shape, NOT NULL) and returns the table's writer and row count.
  Status CheckWrite(const schema::Table& table, const std::vector<types::RecordBatchPtr>& batches,
                    TableWriter** w, int64_t* total_rows);
  // The one place sqlite errors become a Status: "sqlite <file>: <what>: <errmsg>".
  Status Error(std::string_view what) const;
  StatusCode ErrorCode() const;
  Status Exec(const std::string& sql, std::string_view what);
  // `persistent`: the statement is cached for many uses.
  Result<Stmt> Prepare(const std::string& sql, std::string_view what, bool persistent = false);
  Status Begin(std::string_view what) { return Exec("BEGIN IMMEDIATE", what); }
  Status Commit(std::string_view what) { return Exec("COMMIT", what); }
  void Rollback();
  Status CheckOpen() const;

  std::vector<std::string> KeyColumns(const schema::Table& table) const;
  std::vector<schema::ColumnDef> WantedColumns(const schema::Table& table) const;
  // The table's columns as SQLite has them; nullopt when there is no such table.
  Result<std::optional<std::vector<schema::ColumnDef>>> ExistingColumns(const std::string& table);
  Status CreateTable(const schema::Table& table);

  Result<TableWriter*> WriterFor(const schema::Table& table);
  Status WriteRows(TableWriter& w, const std::vector<types::RecordBatchPtr>& batches,
                   int64_t total_rows);
  // Runs a bound statement; `bind_rc` is BindChunk's result.
  Status StepChunk(TableWriter& w, sqlite3_stmt* st, int64_t first_row, int bind_rc);
  Status LocateFailure(TableWriter& w, int64_t first_row, const Status& statement_error);

  std::string path_;
  plugin::BatchOptions batch_;
  WriteMode write_mode_ = WriteMode::kOverwriteDeleteStale;
  MigrateMode migrate_mode_ = MigrateMode::kSafe;
  PkMode pk_mode_ = PkMode::kDefault;
  Logger* logger_ = nullptr;
  sqlite3* db_ = nullptr;
  int max_variables_ = 32766;
  bool in_transaction_ = false;  // between BeginTransaction and Commit/RollbackTransaction
  std::map<std::string, std::unique_ptr<TableWriter>, std::less<>> writers_;
};

Status SqliteDestination::Configure(const nlohmann::json& spec) {
  plugin::SpecReader reader(spec);
  std::string conn = reader.String("connection_string", "");
  batch_ =
      plugin::ReadBatchOptions(reader, plugin::BatchOptions{10'000, 10 * 1024 * 1024, 20'000'000});
  QUARRY_RETURN_NOT_OK(reader.Finish());
  if (conn.empty()) {
    return Status::Invalid(
        "spec.connection_string: required (the path of the SQLite database file, e.g. "
        "./quarry.db)");
  }
  QUARRY_ASSIGN_OR_RETURN(path_, SqlitePathFromConnectionString(std::move(conn)));
  return Status::OK();
}

StatusCode SqliteDestination::ErrorCode() const {
  // Data that does not fit is the user's to fix; anything else is the outside world failing.
  const int rc = sqlite3_errcode(db_) & 0xff;
  return rc == SQLITE_CONSTRAINT || rc == SQLITE_MISMATCH || rc == SQLITE_TOOBIG
             ? StatusCode::kInvalidArgument
             : StatusCode::kIOError;
}

Status SqliteDestination::Error(std::string_view what) const {
  return Status(ErrorCode(), fmt::format("sqlite {}: {}: {}", path_, what,
                                         db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

Status SqliteDestination::CheckOpen() const {
  if (db_ == nullptr) return Status::Internal(fmt::format("sqlite {}: not initialized", path_));
  return Status::OK();
}

Status SqliteDestination::Exec(const std::string& sql, std::string_view what) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return Error(what);
  return Status::OK();
}

Result<Stmt> SqliteDestination::Prepare(const std::string& sql, std::string_view what,
                                        bool persistent) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                         persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  return Stmt(st);
}

void SqliteDestination::Rollback() {
  // SQLite may already have rolled back (e.g. on SQLITE_FULL); a second ROLLBACK would fail.
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status SqliteDestination::Init(const plugin::PluginContext& ctx,
                               const plugin::DestinationOptions& options) {
  if (path_.empty()) return Status::Internal("sqlite: Init before Configure");
  QUARRY_RETURN_NOT_OK(Close());
  logger_ = ctx.logger;
  write_mode_ = options.write_mode;
  migrate_mode_ = options.migrate_mode;
  pk_mode_ = options.pk_mode;
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status st = Error("open");
    sqlite3_close(db_);
    db_ = nullptr;
    return st;
  }
  sqlite3_extended_result_codes(db_, 1);
  // Without this, a "column" that does not exist is silently taken as a string literal.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  // Before any statement that takes a lock: another connection may hold the file.
  sqlite3_busy_timeout(db_, 30'000);
  std::string journal_mode;
  if (sqlite3_exec(
          db_, "PRAGMA journal_mode=WAL",
          [](void* out, int n, char** values, char**) {
            if (n > 0 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
            return 0;
          },
          &journal_mode, nullptr) != SQLITE_OK) {
    return Error("set journal_mode=WAL");
  }
  // SQLite keeps the old mode without an error where WAL is impossible (in-memory databases,
  // some network file systems); writes still work, only concurrent access suffers.
  if (journal_mode != "wal" && logger_ != nullptr) {
    logger_->Warn("sqlite: WAL journal mode not available",
                  {{"file", path_}, {"journal_mode", journal_mode}});
  }
  QUARRY_RETURN_NOT_OK(Exec("PRAGMA synchronous=NORMAL", "set synchronous=NORMAL"));
  // 64 MiB of page cache: index pages of large upserted tables stay in memory.
  QUARRY_RETURN_NOT_OK(Exec("PRAGMA cache_size=-65536", "set cache_size"));
  QUARRY_RETURN_NOT_OK(Exec("PRAGMA temp_store=MEMORY", "set temp_store"));
  max_variables_ = sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  return Status::OK();
}

Status SqliteDestination::Close() {
  if (in_transaction_) RollbackTransaction();
  writers_.clear();  // finalizes the statements
  if (db_ == nullptr) return Status::OK();
  if (sqlite3_close(db_) != SQLITE_OK) return Error("close");
  db_ = nullptr;
  return Status::OK();
}

std::vector<std::string> SqliteDestination::KeyColumns(const schema::Table& table) const {
  if (write_mode_ == WriteMode::kAppend) return {};
  if (pk_mode_ == PkMode::kCqIdOnly && table.ColumnIndex(schema::kCqId) >= 0) {
    return {std::string(schema::kCqId)};
  }
  return table.PrimaryKeys();
}

std::vector<schema::ColumnDef> SqliteDestination::WantedColumns(const schema::Table& table) const {
  const auto keys = KeyColumns(table);
  std::vector<schema::ColumnDef> defs;
  defs.reserve(table.columns.size());
  for (const auto& c : table.columns) {
    defs.push_back({c.name, std::string(SqliteType(*c.type)), c.not_null,
                    std::find(keys.begin(), keys.end(), c.name) != keys.end()});
  }
  return defs;
}

Result<std::optional<std::vector<schema::ColumnDef>>> SqliteDestination::ExistingColumns(
    const std::string& table) {
  const std::string what = fmt::format("read columns of table {}", table);
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st, Prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", what));
  sqlite3_bind_text(st.get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
  std::vector<schema::ColumnDef> defs;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    auto text = [&](int i) {
      const auto* p = sqlite3_column_text(st.get(), i);
      return std::string(p != nullptr ? reinterpret_cast<const char*>(p) : "");
    };
    // SQLite reports the standard type names in upper case (INTEGER, TEXT, …), others as
    // declared; ours are lower case.
    std::string type = text(1);
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    defs.push_back({text(0), std::move(type), sqlite3_column_int(st.get(), 2) != 0,
                    sqlite3_column_int(st.get(), 3) > 0});
  }
  if (rc != SQLITE_DONE) return Error(what);
  if (defs.empty()) return std::optional<std::vector<schema::ColumnDef>>();
  return std::optional<std::vector<schema::ColumnDef>>(std::move(defs));
}

Status SqliteDestination::CreateTable(const schema::Table& table) {
  std::string sql = fmt::format("CREATE TABLE {} (", Quote(table.name));
  const auto defs = WantedColumns(table);
  for (size_t i = 0; i < defs.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += fmt::format("{} {}{}", Quote(defs[i].name), defs[i].type,
                       defs[i].not_null ? " NOT NULL" : "");
  }
  const auto keys = KeyColumns(table);
  if (!keys.empty()) sql += fmt::format(", PRIMARY KEY ({})", QuoteList(keys));
  sql += ")";
  return Exec(sql, fmt::format("create table {}", table.name));
}

Status SqliteDestination::Migrate(const std::vector<schema::TablePtr>& tables) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (tables.empty()) return Status::OK();
  QUARRY_RETURN_NOT_OK(Begin("migrate: begin"));
  std::vector<std::string> refused;
  auto run = [&]() -> Status {
    for (const auto& tp : tables) {
      const schema::Table& table = *tp;
      writers_.erase(table.name);
      QUARRY_ASSIGN_OR_RETURN(auto have, ExistingColumns(table.name));
      if (!have) {
        QUARRY_RETURN_NOT_OK(CreateTable(table));
        continue;
      }
      const auto want = WantedColumns(table);
      // SQLite matches names without regard to ASCII case: so does the diff.
      for (auto& h : *have) {
        for (const auto& w : want) {
          if (EqualsIgnoreCase(h.name, w.name)) h.name = w.name;
        }
      }
      auto changes = schema::DiffColumns(*have, want);
      const bool unsafe = std::any_of(changes.begin(), changes.end(),
                                      [](const auto& c) { return !schema::IsSafe(c); });
      if (unsafe && migrate_mode_ == MigrateMode::kSafe) {
        std::string list;
        for (const auto& c : changes) {
          if (c.kind == schema::ChangeKind::kRemoveColumn) continue;
          if (!list.empty()) list += "; ";
          list += schema::Describe(c);
        }
        refused.push_back(fmt::format(
            "table {}: safe migration refused (use migrate_mode: forced): {}", table.name, list));
        continue;
      }
      if (unsafe) {
        if (logger_ != nullptr) {
          logger_->Warn("sqlite: dropping and recreating table (migrate_mode: forced)",
                        {{"table", table.name}, {"file", path_}});
        }
        QUARRY_RETURN_NOT_OK(
            Exec("DROP TABLE " + Quote(table.name), fmt::format("drop table {}", table.name)));
        QUARRY_RETURN_NOT_OK(CreateTable(table));
        continue;
      }
      for (const auto& c : changes) {
        if (c.kind != schema::ChangeKind::kAddColumn) continue;
        QUARRY_RETURN_NOT_OK(Exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", Quote(table.name),
                                              Quote(c.column), c.detail),
                                  fmt::format("table {}: add column {}", table.name, c.column)));
      }
    }
    return Status::OK();
  };
  Status st = run();
  if (st.ok() && !refused.empty()) {
    std::string msg;
    for (const auto& r : refused) msg += (msg.empty() ? "" : "\n") + r;
    st = Status::Invalid(std::move(msg));
  }
  if (st.ok()) st = Commit("migrate: commit");
  if (!st.ok()) Rollback();
  return st;
}

Result<TableWriter*> SqliteDestination::WriterFor(const schema::Table& table) {
  auto it = writers_.find(table.name);
  if (it != writers_.end()) {
    const TableWriter& w = *it->second;
    bool same = w.names.size() == table.columns.size();
    for (size_t i = 0; same && i < table.columns.size(); ++i) {
      same = w.names[i] == table.columns[i].name && w.type_ids[i] == table.columns[i].type->id();
    }
    if (same) return it->second.get();
    writers_.erase(it);
  }
  auto w = std::make_unique<TableWriter>();
  w->table = table.name;
  w->num_columns = static_cast<int>(table.columns.size());
  if (w->num_columns == 0) return Status::Invalid(fmt::format("table {}: no columns", table.name));
  for (int i = 0; i < w->num_columns; ++i) {
    const auto& c = table.columns[static_cast<size_t>(i)];
    w->names.push_back(c.name);
    w->type_ids.push_back(c.type->id());
    if (c.not_null) w->not_null.push_back(i);
  }
  w->chunk_rows = std::max(1, std::min(kRowsPerStatement, max_variables_ / w->num_columns));
  w->insert_head =
      fmt::format("INSERT INTO {} ({}) VALUES ", Quote(table.name), QuoteList(w->names));
  w->row_tuple = "(";
  for (int i = 0; i < w->num_columns; ++i) w->row_tuple += i == 0 ? "?" : ",?";
  w->row_tuple += ")";
  const auto keys = KeyColumns(table);
  if (!keys.empty()) {
    std::string set;
    for (const auto& n : w->names) {
      if (std::find(keys.begin(), keys.end(), n) != keys.end()) continue;
      if (!set.empty()) set += ", ";
      set += fmt::format("{0}=excluded.{0}", Quote(n));
    }
    w->tail = fmt::format(" ON CONFLICT ({}) DO {}", QuoteList(keys),
                          set.empty() ? std::string("NOTHING") : "UPDATE SET " + set);
  }
  QUARRY_ASSIGN_OR_RETURN(w->full, Prepare(w->InsertSql(w->chunk_rows),
                                           fmt::format("table {}: prepare insert", table.name),
                                           /*persistent=*/true));
  w->arena.resize(static_cast<size_t>(w->chunk_rows) * w->num_columns * kSlot);
  w->list_text.resize(static_cast<size_t>(w->num_columns));
  TableWriter* raw = w.get();
  writers_[table.name] = std::move(w);
  return raw;
}

Status SqliteDestination::CheckWrite(const schema::Table& table,
                                     const std::vector<types::RecordBatchPtr>& batches,
                                     TableWriter** out, int64_t* out_rows) {
  QUARRY_ASSIGN_OR_RETURN(TableWriter * w, WriterFor(table));
  int64_t total_rows = 0;
  for (const auto& b : batches) {
    if (b->num_columns() != w->num_columns) {
      return Status::Internal(fmt::format("table {}: a batch has {} columns, the table {}",
                                          table.name, b->num_columns(), w->num_columns));
    }
    // NOT NULL is checked here rather than left to SQLite so that the error names the column
    // and row; the cost is one look at null_count per not-null column.
    for (int c : w->not_null) {
      const types::Array& a = b->column(c);
      if (a.null_count() == 0) continue;
      for (int64_t i = 0; i < a.length(); ++i) {
        if (a.IsNull(i)) {
          return Status::Invalid(
              fmt::format("table {}: column {}, row {}: NOT NULL constraint failed", table.name,
                          w->names[static_cast<size_t>(c)], total_rows + i));
        }
      }
    }
    total_rows += b->num_rows();
  }
  *out = w;
  *out_rows = total_rows;
  return Status::OK();
}

Status SqliteDestination::Write(const schema::Table& table,
                                const std::vector<types::RecordBatchPtr>& batches) {
  return WriteAll({{&table, &batches}});
}

Status SqliteDestination::WriteAll(const std::vector<plugin::TableWrite>& writes) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  std::vector<std::pair<TableWriter*, int64_t>> plan;
  int64_t all_rows = 0;
  for (const auto& wr : writes) {
    TableWriter* w = nullptr;
    int64_t rows = 0;
    QUARRY_RETURN_NOT_OK(CheckWrite(*wr.table, *wr.batches, &w, &rows));
    plan.emplace_back(w, rows);
    all_rows += rows;
  }
  if (all_rows == 0) return Status::OK();
  const std::string what =
      writes.size() == 1 ? fmt::format("table {}", writes[0].table->name) : "write";
  // One transaction for every table: rows and the cursor rows that cover them land together.
  // Inside an open transaction the rows join it instead.
  const bool own = !in_transaction_;
  if (own) QUARRY_RETURN_NOT_OK(Begin(what + ": begin"));
  Status st;
  for (size_t i = 0; st.ok() && i < writes.size(); ++i) {
    if (plan[i].second > 0) st = WriteRows(*plan[i].first, *writes[i].batches, plan[i].second);
  }
  if (st.ok() && own) st = Commit(what + ": commit");
  if (!st.ok()) {
    Rollback();
    in_transaction_ = false;
  }
  // The bindings point into the batches, which the caller may free now.
  for (const auto& [w, rows] : plan) {
    for (sqlite3_stmt* s : {w->full.get(), w->partial.get(), w->single.get()}) {
      if (s != nullptr) sqlite3_clear_bindings(s);
    }
  }
  return st;
}

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
      if (kind == SQLITE_TEXT || kind == SQLITE_BLOB) {  // 'NaN', '-0.0' (see BindDouble)
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

// An exclusive flock on "<database>.<name>.lock": the kernel releases it when the process
// exits, also on kill -9, so a crashed sync never blocks the next one.
class FileLock final : public plugin::SyncLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override { ::close(fd_); }

 private:
  int fd_;
};

Status SqliteDestination::BeginTransaction() {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (in_transaction_)
    return Status::Internal(fmt::format("sqlite {}: transaction already open", path_));
  QUARRY_RETURN_NOT_OK(Begin("begin"));
  in_transaction_ = true;
  return Status::OK();
}

Status SqliteDestination::CommitTransaction() {
  if (!in_transaction_)
    return Status::Internal(fmt::format("sqlite {}: no open transaction", path_));
  in_transaction_ = false;
  Status st = Commit("commit");
  if (!st.ok()) Rollback();
  return st;
}

void SqliteDestination::RollbackTransaction() {
  Rollback();
  in_transaction_ = false;
}

// The lock file of `name`: readable, and unique per name — two names that differ only in
// characters a file name cannot hold (e.g. "../x" and "__x") still get different files.
std::string LockFileName(const std::string& database, std::string_view name) {
  std::string readable;
  for (char c : name.substr(0, 48)) {
    readable += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the exact bytes
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{}.{}-{:016x}.lock", database, readable, h);
}

Result<std::unique_ptr<plugin::SyncLock>> SqliteDestination::TryLock(std::string_view name) {
  const std::string file = LockFileName(path_, name);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError(
        fmt::format("sqlite {}: lock {}: {}", path_, file, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[64] = {0};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      if (holder == std::to_string(::getpid())) {
        return Status::Invalid(fmt::format(
            "this sync already writes to {} through another destination or the state backend "
            "({} is held by this process): two destinations of one source must not share a "
            "database file",
            path_, file));
      }
      return Status::IOError(fmt::format(
          "another sync of the same source is writing to this destination ({} is held by "
          "process {}); wait for it to finish",
          file, holder));
    }
    return Status::IOError(fmt::format("sqlite {}: lock {}: {}", path_, file, std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message a waiting sync prints; the lock itself holds.
  }
  return std::unique_ptr<plugin::SyncLock>(std::make_unique<FileLock>(fd));
}

Status SqliteDestination::WriteRows(TableWriter& w,
                                    const std::vector<types::RecordBatchPtr>& batches,
                                    int64_t total_rows) {
  size_t bi = 0;
  int64_t off = 0;
  // Fills w.segments with the next `rows` rows, which may span batches.
  auto take = [&](int64_t rows) {
    w.segments.clear();
    while (rows > 0) {
      const types::RecordBatch& b = *batches[bi];
      const int64_t n = std::min(rows, b.num_rows() - off);
      if (n > 0) w.segments.push_back({&b, off, n});
      off += n;
      rows -= n;
      if (off == b.num_rows()) {
        ++bi;
        off = 0;
      }
    }
  };
  int64_t row = 0;
  for (; total_rows - row >= w.chunk_rows; row += w.chunk_rows) {
    take(w.chunk_rows);
    const int bind_rc = BindChunk(w, w.full.get(), w.segments);
    QUARRY_RETURN_NOT_OK(StepChunk(w, w.full.get(), row, bind_rc));
  }
  const int rest = static_cast<int>(total_rows - row);
  if (rest == 0) return Status::OK();
  if (w.partial == nullptr || w.partial_rows != rest) {
    w.partial.reset();
    QUARRY_ASSIGN_OR_RETURN(
        w.partial, Prepare(w.InsertSql(rest), fmt::format("table {}: prepare insert", w.table),
                           /*persistent=*/true));
    w.partial_rows = rest;
  }
  take(rest);
  const int bind_rc = BindChunk(w, w.partial.get(), w.segments);
  return StepChunk(w, w.partial.get(), row, bind_rc);
}

Status SqliteDestination::StepChunk(TableWriter& w, sqlite3_stmt* st, int64_t first_row,
                                    int bind_rc) {
  if (bind_rc != SQLITE_OK) {
    // A value SQLite would not take (e.g. longer than its maximum length): nothing was run.
    return LocateFailure(w, first_row, Error(fmt::format("table {}: bind", w.table)));
  }
  if (sqlite3_step(st) == SQLITE_DONE) {
    sqlite3_reset(st);
    return Status::OK();
  }
  Status err = Error(fmt::format("table {}: insert", w.table));
  sqlite3_reset(st);
  return LocateFailure(w, first_row, err);
}

// A failed statement has undone its own rows; retrying them one at a time finds the row to
// name. The whole Write is rolled back afterwards anyway.
Status SqliteDestination::LocateFailure(TableWriter& w, int64_t first_row,
                                        const Status& statement_error) {
  if (sqlite3_get_autocommit(db_) != 0) return statement_error;  // transaction gone
  if (w.single == nullptr) {
    auto single = Prepare(w.InsertSql(1), fmt::format("table {}: prepare insert", w.table));
    if (!single.ok()) return statement_error;
    w.single = single.MoveValue();
  }
  const std::vector<Segment> chunk = w.segments;
  int64_t row = first_row;
  for (const Segment& s : chunk) {
    for (int64_t i = s.start; i < s.start + s.count; ++i, ++row) {
      w.segments.assign(1, Segment{s.batch, i, 1});
      for (int c = 0; c < w.num_columns; ++c) {
        if (BindColumn(w, w.single.get(), w.segments, c) != SQLITE_OK) {
          return Status(ErrorCode(),
                        fmt::format("table {}: column {}, row {}: {}", w.table,
                                    w.names[static_cast<size_t>(c)], row, sqlite3_errmsg(db_)));
        }
      }
      if (sqlite3_step(w.single.get()) != SQLITE_DONE) {
        Status err(ErrorCode(),
                   fmt::format("table {}: row {}: {}", w.table, row, sqlite3_errmsg(db_)));
        sqlite3_reset(w.single.get());
        return err;
      }
      sqlite3_reset(w.single.get());
    }
  }
  return statement_error;
}

Result<int64_t> SqliteDestination::DeleteStale(const schema::Table& table,
                                               std::string_view source_name, int64_t sync_time_us) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  const std::string what = fmt::format("table {}: delete stale rows", table.name);
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st, Prepare(fmt::format("DELETE FROM {} WHERE {} = ?1 AND {} < ?2", Quote(table.name),
                                   Quote(schema::kCqSourceName), Quote(schema::kCqSyncTime)),
                       what));
  char time[26];
  FormatTimestampMicros(sync_time_us, time);
  sqlite3_bind_text(st.get(), 1, source_name.empty() ? kEmpty : source_name.data(),
                    static_cast<int>(source_name.size()), SQLITE_STATIC);
  sqlite3_bind_text(st.get(), 2, time, 26, SQLITE_STATIC);
  QUARRY_RETURN_NOT_OK(Begin(what));
  if (sqlite3_step(st.get()) != SQLITE_DONE) {
    Status err = Error(what);
    st.reset();
    Rollback();
    return err;
  }
  const int64_t deleted = sqlite3_changes64(db_);
  st.reset();
  Status commit = Commit(what);
  if (!commit.ok()) {
    Rollback();
    return commit;
  }
  return deleted;
}

}  // namespace

std::unique_ptr<plugin::DestinationPlugin> NewSqliteDestination() {
  return std::make_unique<SqliteDestination>();
}

}  // namespace quarry::plugins
