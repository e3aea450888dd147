// Write, WriteAll and CheckValues: rows go through binary COPY (pg_copy.h); upserts COPY straight
// into the table until a key conflicts, then through a staging table and one INSERT … ON
// CONFLICT. All tables of a call in one transaction.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "plugins/destination/postgresql/pg_types.h"
#include "plugins/destination/postgresql/postgresql_destination_impl.h"

namespace quarry::plugins::postgresql {
namespace {

using sql::Quote;
using sql::QuoteList;
using types::TypeId;

// COPY data is handed to libpq in pieces of about this size: big enough that the per-call cost
// vanishes, small enough that memory stays flat whatever the batch size.
constexpr size_t kCopyChunk = 1 << 20;

}  // namespace

Result<TableInfo*> PostgresqlDestination::InfoFor(const schema::Table& table) {
  auto it = infos_.find(table.name);
  if (it != infos_.end()) {
    const TableInfo& info = *it->second;
    bool same = info.names.size() == table.columns.size();
    for (size_t i = 0; same && i < table.columns.size(); ++i) {
      same =
          info.names[i] == table.columns[i].name && info.types[i]->Equals(*table.columns[i].type);
    }
    if (same) return it->second.get();
    infos_.erase(it);
  }
  if (table.columns.empty())
    return Status::Invalid(fmt::format("table {}: no columns", table.name));
  auto info = std::make_unique<TableInfo>();
  info->name = table.name;
  info->qualified = Qualified(table.name);
  info->keys = schema::KeyColumns(table, migration_);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const auto& c = table.columns[i];
    info->names.push_back(c.name);
    info->types.push_back(c.type);
    const bool key = std::find(info->keys.begin(), info->keys.end(), c.name) != info->keys.end();
    if (c.not_null || key) info->required.push_back(static_cast<int>(i));
  }
  info->columns = QuoteList(info->names);
  if (!info->keys.empty()) {
    const std::string keys = QuoteList(info->keys);
    // DISTINCT ON keeps one row per key — the last one written (the staging table is filled by
    // one COPY, so ctid order is arrival order): ON CONFLICT may touch a row only once per
    // statement. Sorting by key also makes concurrent upserts take row locks in one order.
    info->upsert_select = fmt::format("INSERT INTO {} ({}) SELECT DISTINCT ON ({}) {} FROM ",
                                      info->qualified, info->columns, keys, info->columns);
    std::string set;
    for (const auto& n : info->names) {
      if (std::find(info->keys.begin(), info->keys.end(), n) != info->keys.end()) continue;
      if (!set.empty()) set += ", ";
      set += fmt::format("{0} = EXCLUDED.{0}", Quote(n));
    }
    info->upsert_tail = fmt::format(" ORDER BY {}, ctid DESC ON CONFLICT ({}) DO {}", keys, keys,
                                    set.empty() ? std::string("NOTHING") : "UPDATE SET " + set);
  }
  TableInfo* raw = info.get();
  infos_[table.name] = std::move(info);
  return raw;
}

Status PostgresqlDestination::CheckWrite(const TableInfo& info,
                                         const std::vector<types::RecordBatchPtr>& batches,
                                         int64_t* out_rows) const {
  int64_t rows = 0;
  for (const auto& b : batches) {
    if (b->num_columns() != static_cast<int>(info.names.size())) {
      return Status::Internal(fmt::format("table {}: a batch has {} columns, the table {}",
                                          info.name, b->num_columns(), info.names.size()));
    }
    // Checked here so that the error names the column and row (the server would name the
    // staging table).
    for (int c : info.required) {
      const types::Array& a = b->column(c);
      if (a.null_count() == 0) continue;
      for (int64_t i = 0; i < a.length(); ++i) {
        if (a.IsNull(i)) {
          return Status::Invalid(
              fmt::format("table {}: column {}, row {}: NOT NULL constraint failed", info.name,
                          info.names[static_cast<size_t>(c)], rows + i));
        }
      }
    }
    rows += b->num_rows();
  }
  *out_rows = rows;
  return Status::OK();
}

Status PostgresqlDestination::Write(const schema::Table& table,
                                    const std::vector<types::RecordBatchPtr>& batches) {
  return WriteAll({{&table, &batches}});
}

Status PostgresqlDestination::WriteAll(const std::vector<plugin::TableWrite>& writes) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  std::vector<std::pair<TableInfo*, int64_t>> plan;
  int64_t all_rows = 0;
  for (const auto& w : writes) {
    QUARRY_ASSIGN_OR_RETURN(TableInfo * info, InfoFor(*w.table));
    int64_t rows = 0;
    QUARRY_RETURN_NOT_OK(CheckWrite(*info, *w.batches, &rows));
    plan.emplace_back(info, rows);
    all_rows += rows;
  }
  if (all_rows == 0) return Status::OK();
  const std::string what =
      writes.size() == 1 ? fmt::format("table {}", writes[0].table->name) : "write";
  // One transaction for every table: rows and the cursor rows that cover them land together.
  // Inside an open transaction the rows join it instead.
  const bool own = !in_transaction_;
  if (own) QUARRY_RETURN_NOT_OK(Exec("BEGIN", what + ": begin"));
  Status st;
  for (size_t i = 0; st.ok() && i < writes.size(); ++i) {
    if (plan[i].second > 0) st = WriteTable(*plan[i].first, *writes[i].batches);
  }
  if (st.ok() && own) st = Exec("COMMIT", what + ": commit");
  if (!st.ok()) {
    Rollback();
    in_transaction_ = false;
  }
  return st;
}

Status PostgresqlDestination::CheckValues(const schema::Table& table,
                                          const types::RecordBatch& batch,
                                          int64_t first_row) const {
  CopyBuffer scratch;
  for (int c = 0; c < batch.num_columns(); ++c) {
    const types::Array& a = batch.column(c);
    if (!MayBeUnfit(a)) continue;
    const TypeId id = a.type()->id();
    if (id == TypeId::kTimestamp || id == TypeId::kDate32) {
      // The common case, every value inside the range, in one tight pass.
      bool inside = true;
      const uint8_t* values = a.values_buffer()->data();
      for (int64_t i = 0; i < a.length(); ++i) {
        if (id == TypeId::kTimestamp) {
          // Only the low end can be passed: every int64 is below the end of PostgreSQL's range
          // once the epochs are aligned.
          static_assert(INT64_MAX - kPgEpochMicros < kPgEndTimestamp);
          inside &= Load<int64_t>(values, i) >= kPgMinTimestamp + kPgEpochMicros;
        } else {
          const int64_t v = int64_t{Load<int32_t>(values, i)} - kPgEpochDays;
          inside &= v >= kPgMinDate && v < kPgEndDate;
        }
      }
      if (inside) continue;
    }
    for (int64_t i = 0; i < a.length(); ++i) {
      if (a.IsNull(i)) continue;
      scratch.Clear();
      if (const Unfit why = PutValue(scratch, a, id, i); why != Unfit::kNone) {
        return Status::Invalid(fmt::format("column {}, row {}: {}", batch.schema()->field(c).name,
                                           first_row + i, UnfitMessage(why, a, i)));
      }
    }
  }
  return Status::OK();
}

Status PostgresqlDestination::WriteTable(TableInfo& info,
                                         const std::vector<types::RecordBatchPtr>& batches) {
  if (info.keys.empty()) return CopyIn(info, batches, info.qualified, info.name);
  // Rows to upsert are often all new (a first sync, the new rows of an incremental one): try the
  // bulk path itself, a COPY into the table under a savepoint. A key that exists stops it at
  // that row; then the batch goes through staging. After one conflict the table goes straight
  // to staging for the rest of the session.
  if (!info.had_conflict) {
    const std::string what = fmt::format("table {}: copy", info.name);
    QUARRY_RETURN_NOT_OK(Exec("SAVEPOINT quarry_direct", what));
    copy_unique_violation_ = false;
    Status direct = CopyIn(info, batches, info.qualified, info.name);
    if (direct.ok()) return Exec("RELEASE SAVEPOINT quarry_direct", what);
    if (!copy_unique_violation_) return direct;
    info.had_conflict = true;
    QUARRY_RETURN_NOT_OK(Exec("ROLLBACK TO SAVEPOINT quarry_direct", what));
  }
  const std::string stage_name = fmt::format("quarry_stage_{}", ++stage_counter_);
  const std::string stage = "pg_temp." + Quote(stage_name);
  QUARRY_RETURN_NOT_OK(
      Exec(fmt::format("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP", stage,
                       info.qualified),
           fmt::format("table {}: create staging table", info.name)));
  QUARRY_RETURN_NOT_OK(CopyIn(info, batches, stage, stage_name));
  return Exec(info.upsert_select + stage + info.upsert_tail,
              fmt::format("table {}: upsert", info.name));
}

Status PostgresqlDestination::CopyIn(TableInfo& info,
                                     const std::vector<types::RecordBatchPtr>& batches,
                                     const std::string& target, std::string_view relname) {
  const std::string what = fmt::format("table {}: copy", info.name);
  {
    PgResult res(
        conn_->Exec(fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", target, info.columns)));
    if (PQresultStatus(res.get()) != PGRES_COPY_IN) return Error(what, res.get());
  }
  CopyBuffer& b = buffer_;
  b.Clear();
  uint8_t* h = b.Grow(19);
  std::memcpy(h, kCopyHeader, 11);
  Put32(h + 11, 0);  // flags
  Put32(h + 15, 0);  // header extension length

  const int ncols = static_cast<int>(info.names.size());
  std::vector<TypeId> ids(static_cast<size_t>(ncols));
  for (int c = 0; c < ncols; ++c)
    ids[static_cast<size_t>(c)] = info.types[static_cast<size_t>(c)]->id();
  std::vector<const uint8_t*> valid(static_cast<size_t>(ncols));

  bool sent = true;  // false once libpq refused data (the server has already failed)
  Status bad_value;  // a value we could not encode
  int64_t row = 0;
  for (const auto& batch : batches) {
    for (int c = 0; c < ncols; ++c) {
      const types::Array& a = batch->column(c);
      valid[static_cast<size_t>(c)] = a.null_count() > 0 && a.validity_buffer() != nullptr
                                          ? a.validity_buffer()->data()
                                          : nullptr;
    }
    const int64_t n = batch->num_rows();
    for (int64_t i = 0; i < n && sent && bad_value.ok(); ++i, ++row) {
      Put16(b.Grow(2), static_cast<uint16_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        const uint8_t* v = valid[static_cast<size_t>(c)];
        if (v != nullptr && !Bit(v, i)) {
          PutNull(b);
        } else if (const Unfit why = PutValue(b, batch->column(c), ids[static_cast<size_t>(c)], i);
                   why != Unfit::kNone) {
          bad_value = Status::Invalid(fmt::format("table {}: column {}, row {}: {}", info.name,
                                                  info.names[static_cast<size_t>(c)], row,
                                                  UnfitMessage(why, batch->column(c), i)));
          break;
        }
      }
      if (b.size() >= kCopyChunk) {
        sent = conn_->PutCopyData(b.data(), static_cast<int>(b.size())) == 1;
        b.Clear();
      }
    }
    if (!sent || !bad_value.ok()) break;
  }
  if (sent && bad_value.ok()) {
    Put16(b.Grow(2), 0xFFFF);  // trailer
    sent = conn_->PutCopyData(b.data(), static_cast<int>(b.size())) == 1;
  }
  b.Clear();
  // Ending with an error message makes the server abandon the COPY.
  const int end = conn_->PutCopyEnd(bad_value.ok() ? nullptr : "quarry: invalid value");
  Status st;
  PgResult res(conn_->GetResult());
  if (end != 1 && res == nullptr) {
    st = Error(what);
  } else if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    const char* sqlstate = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    copy_unique_violation_ = sqlstate != nullptr && std::strcmp(sqlstate, "23505") == 0;
    st = CopyError(info, res.get(), relname);
  }
  // Drain: the COPY's results end with a null.
  for (PGresult* r; (r = conn_->GetResult()) != nullptr;) PQclear(r);
  if (!bad_value.ok()) return bad_value;
  return st;
}

Status PostgresqlDestination::CopyError(const TableInfo& info, const PGresult* res,
                                        std::string_view relname) const {
  Status err = Error(fmt::format("table {}: copy", info.name), res);
  const char* context = res != nullptr ? PQresultErrorField(res, PG_DIAG_CONTEXT) : nullptr;
  if (context == nullptr) return err;
  // Binary COPY says "COPY <relname>, line <n>, column <name>" (or no column), n counting rows
  // from 1; other context lines (e.g. of a trigger) may come before it.
  const std::string prefix = fmt::format("COPY {}, line ", relname);
  std::string_view ctx(context);
  size_t at = 0;
  for (size_t pos = 0; pos <= ctx.size();) {
    const size_t eol = std::min(ctx.find('\n', pos), ctx.size());
    if (ctx.substr(pos, eol - pos).starts_with(prefix)) {
      at = pos + prefix.size();
      ctx = ctx.substr(0, eol);
      break;
    }
    pos = eol + 1;
  }
  if (at == 0) return err;
  int64_t line = 0;
  const auto r = std::from_chars(ctx.data() + at, ctx.data() + ctx.size(), line);
  if (r.ec != std::errc() || line < 1) return err;
  std::string_view rest(r.ptr, static_cast<size_t>(ctx.data() + ctx.size() - r.ptr));
  StatusCode code;
  const std::string msg = ResultMessage(conn_.get(), res, &code);
  if (rest.starts_with(", column ")) {
    rest.remove_prefix(9);
    return Status(code,
                  fmt::format("table {}: column {}, row {}: {}", info.name, rest, line - 1, msg));
  }
  return Status(code, fmt::format("table {}: row {}: {}", info.name, line - 1, msg));
}

}  // namespace quarry::plugins::postgresql
