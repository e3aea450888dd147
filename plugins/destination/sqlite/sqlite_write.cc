// Write and WriteAll: each table's rows through its cached multi-row INSERT (or upsert), all
// tables of a call in one transaction; a failed statement is retried row by row to name the row.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "plugins/common/sql_text.h"
#include "plugins/destination/sqlite/sqlite_destination_impl.h"

namespace quarry::plugins::sqlite {

using sql::Quote;
using sql::QuoteList;

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
  const auto keys = schema::KeyColumns(table, migration_);
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

}  // namespace quarry::plugins::sqlite
