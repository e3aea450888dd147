// Reading one table: in full, or after its saved cursor in chunks that take in every row sharing
// the chunk's last cursor value, each followed by a checkpoint.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/source/sqlite/sqlite_source_impl.h"

namespace quarry::plugins::sqlite_source {
namespace {

using sql::Join;
using sql::Quote;

using scheduler::RowWriter;

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

}  // namespace

Status ReadTable(const Options& o, const schema::Table& table,
                 const std::map<std::string, std::string>& state, RowWriter& out) {
  TableReader reader(o, table);
  return reader.Run(state, out);
}

}  // namespace quarry::plugins::sqlite_source
