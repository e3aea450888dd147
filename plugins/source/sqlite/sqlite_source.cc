#include "plugins/source/sqlite/sqlite_source.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/common/sqlite_path.h"
#include "quarry/base/time.h"
#include "quarry/plugin/spec_reader.h"
#include "quarry/scheduler/scheduler.h"
#include "quarry/types/json.h"

namespace quarry::plugins {
namespace {

using sql::Join;
using sql::Quote;

using scheduler::ResolveContext;
using scheduler::RowWriter;
using types::ArrayBuilder;
using types::TypeId;

// The scheduler's `_cq_source_name`, `_cq_sync_time`, `_cq_id`, `_cq_parent_id`, which lead every
// table of a SyncRequest.
constexpr size_t kCqColumns = 4;

struct Options {
  std::string path;
  std::map<std::string, std::string> incremental;  // table name -> cursor column
  int64_t chunk_size = 10'000;
  int64_t concurrency = 4;
};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// The one place sqlite errors become a Status: "sqlite source <file>: <what>: <errmsg>".
Status SqliteError(sqlite3* db, std::string_view path, std::string_view what) {
  return Status::IOError(fmt::format("sqlite source {}: {}: {}", path, what,
                                     db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

// Opens the file read-only (never creates it), with writes refused on this connection too.
Result<Db> OpenReadOnly(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return SqliteError(raw, path, "open");
  // A writer in rollback-journal mode locks readers out while it commits: wait for it.
  sqlite3_busy_timeout(raw, 30'000);
  if (sqlite3_exec(raw, "PRAGMA query_only=1", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(raw, path, "open");
  }
  return Result<Db>(std::move(db));
}

Result<Stmt> Prepare(sqlite3* db, std::string_view path, const std::string& sql,
                     std::string_view what) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db, path, what);
  }
  return Result<Stmt>(Stmt(st));
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// The Quarry type of a column from its declared SQLite type: common type names first, then
// SQLite's own affinity rules, in their order (https://www.sqlite.org/datatype3.html §3.1).
types::TypePtr TypeFromDeclared(std::string_view declared) {
  const std::string t = Upper(declared);
  std::string name = t.substr(0, t.find('('));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name == "BOOL" || name == "BOOLEAN") return types::boolean();
  if (name == "TIMESTAMP" || name == "DATETIME" || name == "TIMESTAMPTZ" ||
      name.starts_with("TIMESTAMP WITH")) {
    return types::timestamp();
  }
  if (name == "DATE") return types::date32();
  if (name == "JSON") return types::json();
  if (name == "UUID") return types::uuid();
  auto has = [&](std::string_view part) { return t.find(part) != std::string::npos; };
  if (has("INT")) return types::int64();
  if (has("CHAR") || has("CLOB") || has("TEXT")) return types::utf8();
  if (has("BLOB") || t.empty()) return types::binary();
  if (has("REAL") || has("FLOA") || has("DOUB")) return types::float64();
  // NUMERIC affinity (NUMERIC, DECIMAL(10,2), …): text keeps decimals exact.
  return types::utf8();
}

std::string_view ColumnText(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return p == nullptr ? std::string_view()
                      : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

struct ColumnInfo {
  std::string name;
  std::string declared;
  bool not_null = false;
  int pk = 0;  // position in the primary key, from 1; 0 when not part of it
};

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;
  // A name that reads the rowid ("rowid", or "_rowid_" / "oid" when a column is called rowid);
  // empty for WITHOUT ROWID tables.
  std::string rowid;
  std::vector<std::string> primary_key;  // in key order
};

// Ordinary tables of the main schema, sorted by name: not sqlite_* (internal), views or virtual
// tables.
Result<std::vector<std::string>> ListTables(sqlite3* db, const std::string& path) {
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st, Prepare(db, path,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
                       "ORDER BY name",
                       "list tables"));
  std::vector<std::string> names;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    names.emplace_back(ColumnText(st.get(), 0));  // the bytes as stored, valid UTF-8 or not
  }
  if (rc != SQLITE_DONE) return SqliteError(db, path, "list tables");
  return names;
}

Result<TableInfo> InspectTable(sqlite3* db, const std::string& path, const std::string& name) {
  TableInfo info;
  info.name = name;
  const std::string what = fmt::format("table {}: read columns", name);
  QUARRY_ASSIGN_OR_RETURN(Stmt st,
                          Prepare(db, path, "PRAGMA table_info(" + Quote(name) + ")", what));
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    ColumnInfo c;
    c.name = ColumnText(st.get(), 1);
    const auto* decl = sqlite3_column_text(st.get(), 2);
    c.declared = decl != nullptr ? reinterpret_cast<const char*>(decl) : "";
    c.not_null = sqlite3_column_int(st.get(), 3) != 0;
    c.pk = sqlite3_column_int(st.get(), 5);
    info.columns.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return SqliteError(db, path, what);
  if (info.columns.empty()) {
    return Status::IOError(fmt::format("sqlite source {}: no table {}", path, name));
  }
  std::vector<const ColumnInfo*> keys;
  for (const auto& c : info.columns) {
    if (c.pk > 0) keys.push_back(&c);
  }
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->pk < b->pk; });
  for (const auto* k : keys) info.primary_key.push_back(k->name);
  // A user column may shadow some of the rowid's names; a WITHOUT ROWID table has none.
  for (const char* candidate : {"rowid", "_rowid_", "oid"}) {
    const bool shadowed = std::any_of(info.columns.begin(), info.columns.end(),
                                      [&](auto& c) { return EqualsIgnoreCase(c.name, candidate); });
    if (shadowed) continue;
    sqlite3_stmt* probe = nullptr;
    const std::string sql = fmt::format("SELECT {} FROM {} LIMIT 0", candidate, Quote(name));
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &probe, nullptr) == SQLITE_OK) {
      info.rowid = candidate;
    }
    sqlite3_finalize(probe);
    break;
  }
  return info;
}

// A table as Quarry shows it. `name` is the table's own name, or a stand-in when Quarry cannot
// use that (see ShownName). A table with a `problem` cannot sync: it is still listed, so that
// `tables` / `skip_tables` patterns can select or skip it, and a sync that selects it reports the
// problem as its table error.
struct Discovered {
  TableInfo info;
  std::string name;
  std::string problem;  // empty when the table can sync
};

// The table's own name, or — for a name that is empty or not valid UTF-8 — a stand-in that says
// which table is meant: `""`, or the name with \xNN for each byte that is not UTF-8.
std::string ShownName(std::string_view name) {
  return name.empty() ? "\"\"" : schema::PrintableName(name);
}

// Why the rows of a table cannot be synced, or "" when they can.
std::string SyncProblem(const TableInfo& info) {
  if (auto p = schema::NameProblem(info.name); !p.empty()) {
    return fmt::format("the table name is {}; rename the table in the database to sync it", p);
  }
  for (const auto& c : info.columns) {
    if (auto p = schema::NameProblem(c.name); !p.empty()) {
      return fmt::format("column \"{}\": the name is {}; rename the column in the database",
                         schema::PrintableName(c.name), p);
    }
    if (schema::IsCqColumn(c.name)) {
      return fmt::format(
          "column {0}: the name {0} is reserved for the column Quarry adds to every table; "
          "rename the column in the database",
          c.name);
    }
  }
  return "";
}

// ---- values ------------------------------------------------------------------------------

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

std::string_view ColumnBlob(sqlite3_stmt* st, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
  return p == nullptr ? std::string_view()
                      : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, i)));
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

// Appends column i of the current row of `st` to `b`, converted to b's type. A stored value that
// does not fit the type is an InvalidArgument error saying why (the caller adds where).
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

// A value read from a row, kept to be bound again after the statement has moved on.
struct SqlValue {
  int storage = SQLITE_NULL;
  int64_t i = 0;
  double d = 0;
  std::string s;  // text or blob bytes

  void Read(sqlite3_stmt* st, int col) {
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

  int Bind(sqlite3_stmt* st, int param) const {
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

  // The saved form of a cursor: decimal digits, the shortest text that reads back as the same
  // double, or the text itself.
  std::string CursorText() const {
    switch (storage) {
      case SQLITE_INTEGER:
        return fmt::format("{}", i);
      case SQLITE_FLOAT:
        return fmt::format("{}", d);
      default:
        return s;
    }
  }
};

// ---- reading one table ---------------------------------------------------------------------

// Reads one table into a RowWriter on its own read-only connection, inside one read transaction.
// Not thread-safe; one per resolver call.
class TableReader {
 public:
  TableReader(const Options& o, const schema::Table& table) : o_(o), table_(table) {}

  Status Run(const std::map<std::string, std::string>& state, RowWriter& out) {
    for (size_t c = kCqColumns; c < table_.columns.size(); ++c) {
      columns_.push_back(&table_.columns[c]);
    }
    QUARRY_ASSIGN_OR_RETURN(db_, OpenReadOnly(o_.path));
    QUARRY_ASSIGN_OR_RETURN(info_, InspectTable(db_.get(), o_.path, table_.name));
    auto inc = o_.incremental.find(table_.name);
    if (inc == o_.incremental.end()) return ReadFull(out);
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c]->name == inc->second) cursor_ = static_cast<int>(c);
    }
    if (cursor_ < 0) {
      return Status::Invalid(
          fmt::format("table {}: cursor column {} is not synced", table_.name, inc->second));
    }
    auto saved = state.find(table_.name);
    return ReadIncremental(saved == state.end() ? nullptr : &saved->second, out);
  }

 private:
  Status Error(std::string_view what) const {
    return SqliteError(db_.get(), o_.path, fmt::format("table {}: {}", table_.name, what));
  }

  Status Exec(const char* sql) {
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Error(sql);
    return Status::OK();
  }

  std::string SelectList() const {
    std::vector<std::string> names;
    for (const auto* c : columns_) names.push_back(Quote(c->name));
    for (const auto& t : tie_) names.push_back(t);
    return Join(names);
  }

  Status ReadFull(RowWriter& out) {
    if (!info_.rowid.empty()) tie_ = {info_.rowid};  // only to name rows in errors
    QUARRY_ASSIGN_OR_RETURN(
        Stmt st, Prepare(db_.get(), o_.path,
                         fmt::format("SELECT {} FROM {}", SelectList(), Quote(table_.name)),
                         fmt::format("table {}: select", table_.name)));
    QUARRY_RETURN_NOT_OK(Exec("BEGIN"));
    QUARRY_RETURN_NOT_OK(Emit(st.get(), out).status());
    return Exec("COMMIT");
  }

  // Rows come in (cursor, tie order) order, tie order being the rowid or else the primary key:
  // a total order that stays put inside the read transaction. Each chunk is followed by the rest
  // of the group of rows sharing its last cursor value, then by a checkpoint of that value.
  Status ReadIncremental(const std::string* saved, RowWriter& out) {
    if (!info_.rowid.empty()) {
      tie_ = {info_.rowid};
    } else {
      for (const auto& k : info_.primary_key) tie_.push_back(Quote(k));
    }
    if (tie_.empty()) {
      return Status::Invalid(fmt::format(
          "table {}: neither a rowid nor a primary key to order rows sharing a cursor value",
          table_.name));
    }
    const std::string cursor = Quote(columns_[static_cast<size_t>(cursor_)]->name);
    const std::string select = fmt::format("SELECT {} FROM {}", SelectList(), Quote(table_.name));
    const std::string order = fmt::format("ORDER BY {}, {}", cursor, Join(tie_));
    std::vector<std::string> tie_params;
    for (size_t k = 0; k < tie_.size(); ++k) tie_params.push_back(fmt::format("?{}", k + 2));
    const std::string what = fmt::format("table {}: select", table_.name);
    QUARRY_ASSIGN_OR_RETURN(
        Stmt first,
        Prepare(db_.get(), o_.path,
                fmt::format("{} WHERE {} IS NOT NULL {} LIMIT ?1", select, cursor, order), what));
    QUARRY_ASSIGN_OR_RETURN(
        Stmt after,
        Prepare(db_.get(), o_.path,
                fmt::format("{} WHERE {} > ?1 {} LIMIT ?2", select, cursor, order), what));
    QUARRY_ASSIGN_OR_RETURN(
        Stmt ties, Prepare(db_.get(), o_.path,
                           fmt::format("{} WHERE {} = ?1 AND ({}) > ({}) ORDER BY {}", select,
                                       cursor, Join(tie_), Join(tie_params), Join(tie_)),
                           what));

    SqlValue cur;
    bool have_cursor = saved != nullptr;
    if (have_cursor) {
      QUARRY_ASSIGN_OR_RETURN(cur, SavedCursor(*saved));
    }
    last_tie_.resize(tie_.size());

    QUARRY_RETURN_NOT_OK(Exec("BEGIN"));
    for (;;) {
      sqlite3_stmt* st = have_cursor ? after.get() : first.get();
      int rc = SQLITE_OK;
      if (have_cursor) {
        rc = cur.Bind(st, 1);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, o_.chunk_size);
      } else {
        rc = sqlite3_bind_int64(st, 1, o_.chunk_size);
      }
      if (rc != SQLITE_OK) return Error("bind");
      auto rows = Emit(st, out);
      sqlite3_reset(st);
      if (!rows.ok()) return rows.status();
      if (*rows == 0) break;
      if (*rows == o_.chunk_size) {
        // The chunk may have stopped inside a group of equal cursor values.
        rc = last_cursor_.Bind(ties.get(), 1);
        for (size_t k = 0; rc == SQLITE_OK && k < tie_.size(); ++k) {
          rc = last_tie_[k].Bind(ties.get(), static_cast<int>(k) + 2);
        }
        if (rc != SQLITE_OK) return Error("bind");
        auto rest = Emit(ties.get(), out);
        sqlite3_reset(ties.get());
        if (!rest.ok()) return rest.status();
      }
      cur = last_cursor_;
      have_cursor = true;
      QUARRY_RETURN_NOT_OK(out.Checkpoint(table_.name, cur.CursorText()));
      // Nothing follows a short chunk: the transaction sees no new rows.
      if (*rows < o_.chunk_size) break;
    }
    return Exec("COMMIT");
  }

  // A saved cursor, typed as the column compares: integers and reals as numbers, else text
  // (which SQLite converts to a number when the column has numeric affinity).
  Result<SqlValue> SavedCursor(const std::string& text) const {
    const auto& col = *columns_[static_cast<size_t>(cursor_)];
    SqlValue v;
    const char* begin = text.c_str();
    char* end = nullptr;
    errno = 0;
    if (col.type->is_integer()) {
      v.storage = SQLITE_INTEGER;
      v.i = std::strtoll(begin, &end, 10);
    } else if (col.type->is_floating()) {
      v.storage = SQLITE_FLOAT;
      v.d = std::strtod(begin, &end);
    } else {
      v.storage = SQLITE_TEXT;
      v.s = text;
      return v;
    }
    if (text.empty() || end != begin + text.size() || errno != 0) {
      return Status::Invalid(fmt::format(
          "table {}: saved cursor \"{}\" is not a valid {} for column {} (reset the state of this "
          "table to sync it from the start)",
          table_.name, text, col.type->ToString(), col.name));
    }
    return v;
  }

  // Steps `st` to its end, appending every row; returns the number of rows.
  Result<int64_t> Emit(sqlite3_stmt* st, RowWriter& out) {
    const int n = static_cast<int>(columns_.size());
    int64_t rows = 0;
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error("read");
      ++rows;
      ++read_;
      if (cursor_ >= 0) {
        // Before AppendValue converts anything: the value as stored.
        last_cursor_.Read(st, cursor_);
        if (last_cursor_.storage == SQLITE_BLOB) {
          return RowError(st, cursor_, "a blob cannot be a cursor value");
        }
        for (size_t k = 0; k < tie_.size(); ++k) last_tie_[k].Read(st, n + static_cast<int>(k));
      }
      for (int c = 0; c < n; ++c) {
        Status s = AppendValue(st, c, out.column(c));
        if (!s.ok()) return RowError(st, c, s.message());
      }
      QUARRY_RETURN_NOT_OK(out.EndRow());
    }
    return rows;
  }

  // "table t: column c, row N: …" with N the rowid (for WITHOUT ROWID tables: the row's
  // position, from 1, in the order this sync read the table).
  Status RowError(sqlite3_stmt* st, int c, std::string_view problem) const {
    const int64_t row =
        info_.rowid.empty() ? read_ : sqlite3_column_int64(st, static_cast<int>(columns_.size()));
    return Status::Invalid(fmt::format("table {}: column {}, row {}: {}", table_.name,
                                       columns_[static_cast<size_t>(c)]->name, row, problem));
  }

  const Options& o_;
  const schema::Table& table_;                  // with the _cq_* columns
  std::vector<const schema::Column*> columns_;  // the plugin's own columns, as selected
  Db db_;
  TableInfo info_;
  std::vector<std::string> tie_;  // selected after columns_: rowid, or the primary key
  int cursor_ = -1;               // index in columns_ of an incremental table's cursor
  int64_t read_ = 0;
  SqlValue last_cursor_;
  std::vector<SqlValue> last_tie_;
};

// ---- the plugin ------------------------------------------------------------------------------

class SqliteSource : public plugin::SourcePlugin {
 public:
  Status Configure(const nlohmann::json& spec) override {
    plugin::SpecReader r(spec);
    std::string conn = r.String("connection_string", "");
    const nlohmann::json* inc = r.Raw("incremental");
    Options o;
    o.chunk_size = r.Int("chunk_size", 10'000, 1);
    o.concurrency = r.Int("concurrency", 4, 1, 10'000);
    QUARRY_RETURN_NOT_OK(r.Finish());
    if (conn.empty()) {
      return Status::Invalid(
          "spec.connection_string: required (the path of the SQLite database file to read)");
    }
    QUARRY_ASSIGN_OR_RETURN(o.path, SqlitePathFromConnectionString(std::move(conn)));
    if (inc != nullptr) {
      if (!inc->is_object()) {
        return Status::Invalid(fmt::format(
            "spec.incremental: expected a mapping of table name to cursor column, got {}",
            inc->dump()));
      }
      for (const auto& [table, column] : inc->items()) {
        if (!column.is_string() || column.get_ref<const std::string&>().empty()) {
          return Status::Invalid(
              fmt::format("spec.incremental.{}: expected the name of the cursor column, got {}",
                          table, column.dump()));
        }
        o.incremental[table] = column.get<std::string>();
      }
    }
    o_ = std::move(o);
    return Status::OK();
  }

  Result<std::vector<schema::TablePtr>> Tables() const override {
    if (o_.path.empty()) return Status::Internal("sqlite source: Tables before Configure");
    QUARRY_ASSIGN_OR_RETURN(auto found, Discover());
    std::vector<TableInfo> infos;
    for (const auto& d : found) infos.push_back(d.info);
    QUARRY_RETURN_NOT_OK(CheckIncremental(infos));

    std::vector<schema::TablePtr> out;
    for (const auto& d : found) {
      const TableInfo& info = d.info;
      schema::Table t;
      t.name = d.name;
      auto inc = o_.incremental.find(info.name);
      t.is_incremental = inc != o_.incremental.end();
      // The rowid never holds NULL, nor does a WITHOUT ROWID table's key; other key columns of
      // rowid tables may (an old SQLite quirk), unless declared NOT NULL.
      const bool rowid_key = !info.rowid.empty() && info.primary_key.size() == 1;
      for (const auto& ci : info.columns) {
        // A table that cannot sync is listed with the columns that could.
        if (!schema::NameProblem(ci.name).empty() || schema::IsCqColumn(ci.name)) continue;
        schema::Column c{ci.name, TypeFromDeclared(ci.declared)};
        c.primary_key = ci.pk > 0;
        c.not_null =
            ci.not_null ||
            (ci.pk > 0 && (info.rowid.empty() || (rowid_key && Upper(ci.declared) == "INTEGER")));
        c.incremental_key = t.is_incremental && inc->second == ci.name;
        t.columns.push_back(std::move(c));
      }
      auto table = schema::Finalize(std::move(t));
      if (!table.ok()) return table.status().WithContext(fmt::format("sqlite source {}", o_.path));
      out.push_back(table.MoveValue());
    }
    return out;
  }

  Status Init(const plugin::PluginContext& ctx) override {
    if (o_.path.empty()) return Status::Internal("sqlite source: Init before Configure");
    QUARRY_ASSIGN_OR_RETURN(db_, OpenReadOnly(o_.path));
    // Opening is lazy: reading the schema shows a missing or foreign file now.
    if (sqlite3_exec(db_.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return SqliteError(db_.get(), o_.path, "read schema");
    }
    return Status::OK();
  }

  Status Sync(const plugin::SyncRequest& request, plugin::MessageSink& sink) override {
    // Tables that cannot sync are reported, not migrated: no destination gets an empty copy.
    QUARRY_ASSIGN_OR_RETURN(auto found, Discover());
    plugin::SyncRequest syncable = request;
    syncable.tables.clear();
    for (const auto& t : request.tables) {
      auto d = std::find_if(found.begin(), found.end(), [&](auto& x) { return x.name == t->name; });
      if (d == found.end() || d->problem.empty()) {
        syncable.tables.push_back(t);  // a table gone since Tables() fails in its resolver
        continue;
      }
      QUARRY_RETURN_NOT_OK(sink.Send(message::TableError{t->name, d->problem}));
    }
    std::map<std::string, scheduler::Resolver> resolvers;
    for (const auto& t : schema::Flatten(syncable.tables)) {
      resolvers[t->name] = [this, table = t, &syncable](const ResolveContext&, RowWriter& out) {
        TableReader reader(o_, *table);
        return reader.Run(syncable.state, out);
      };
    }
    scheduler::SchedulerOptions so;
    so.concurrency = static_cast<int>(o_.concurrency);
    so.num_clients = 1;
    return scheduler::RunResolvers(syncable, resolvers, so, sink);
  }

  Status Close() override {
    db_.reset();
    return Status::OK();
  }

 private:
  // Every ordinary table of the file, sorted by name, with the name Quarry shows it under.
  Result<std::vector<Discovered>> Discover() const {
    QUARRY_ASSIGN_OR_RETURN(Db db, OpenReadOnly(o_.path));
    QUARRY_ASSIGN_OR_RETURN(auto names, ListTables(db.get(), o_.path));
    std::vector<Discovered> found;
    std::set<std::string> shown;
    for (const auto& raw : names) {
      Discovered d;
      QUARRY_ASSIGN_OR_RETURN(d.info, InspectTable(db.get(), o_.path, raw));
      d.name = ShownName(raw);
      d.problem = SyncProblem(d.info);
      found.push_back(std::move(d));
    }
    for (const auto& d : found) {
      if (!shown.insert(d.name).second) {
        return Status::Invalid(fmt::format(
            "sqlite source {}: two tables would both be shown as \"{}\" (one of their names is "
            "not valid UTF-8 or is empty); rename one in the database",
            o_.path, d.name));
      }
    }
    return found;
  }

  // Every `incremental` entry names a table and a column that can hold a cursor.
  Status CheckIncremental(const std::vector<TableInfo>& infos) const {
    for (const auto& [table, column] : o_.incremental) {
      auto info =
          std::find_if(infos.begin(), infos.end(), [&](auto& i) { return i.name == table; });
      if (info == infos.end()) {
        return Status::Invalid(
            fmt::format("spec.incremental.{}: no table {} in {}", table, table, o_.path));
      }
      auto col = std::find_if(info->columns.begin(), info->columns.end(),
                              [&](auto& c) { return c.name == column; });
      if (col == info->columns.end()) {
        std::vector<std::string> names;
        for (const auto& c : info->columns) names.push_back(c.name);
        return Status::Invalid(
            fmt::format("spec.incremental.{}: table {} has no column {} (columns: {})", table,
                        table, column, Join(names)));
      }
      if (TypeFromDeclared(col->declared)->id() == TypeId::kBinary) {
        return Status::Invalid(fmt::format(
            "spec.incremental.{}: cursor column {} is declared \"{}\", which reads as binary; a "
            "cursor column must be declared INTEGER, REAL, TEXT, TIMESTAMP or similar",
            table, column, col->declared));
      }
      if (info->rowid.empty() && info->primary_key.empty()) {
        return Status::Invalid(fmt::format(
            "spec.incremental.{}: table {} has neither a rowid nor a primary key to order rows "
            "sharing a cursor value",
            table, table));
      }
    }
    return Status::OK();
  }

  Options o_;
  Db db_;  // opened by Init: checks the file early
};

}  // namespace

std::unique_ptr<plugin::SourcePlugin> NewSqliteSource() { return std::make_unique<SqliteSource>(); }

}  // namespace quarry::plugins
