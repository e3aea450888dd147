// Reading one table with binary `COPY (SELECT …) TO STDOUT`: in full, or after its saved cursor
// in chunks that take in every row sharing the chunk's last cursor value, each followed by a
// checkpoint. The copy stream is parsed row by row as it arrives.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/source/postgresql/postgresql_source_impl.h"

namespace quarry::plugins::postgresql_source {
namespace {

using sql::Join;
using sql::Literal;
using sql::Quote;

using scheduler::RowWriter;
using types::TypeId;

// Reads one table into a RowWriter on its own connection, inside a read-only REPEATABLE READ
// transaction on the sync's snapshot. Not thread-safe; one per resolver call.
class TableReader {
 public:
  TableReader(const Options& o, const TableInfo& info, const schema::Table& table,
              const std::string& snapshot, const std::string* cursor_column)
      : o_(o), info_(info), table_(table), snapshot_(snapshot), cursor_column_(cursor_column) {}

  Status Run(const std::map<std::string, std::string>& state, RowWriter& out) {
    for (size_t c = kCqColumns; c < table_.columns.size(); ++c) {
      const auto& name = table_.columns[c].name;
      auto ci = std::find_if(info_.columns.begin(), info_.columns.end(),
                             [&](auto& x) { return x.name == name; });
      if (ci == info_.columns.end()) {
        return Status::Invalid(fmt::format("table {}: column {} no longer exists in {}",
                                           table_.name, name, info_.Display()));
      }
      columns_.push_back(&*ci);
      mappings_.push_back(ci->mapping());
    }
    QUARRY_ASSIGN_OR_RETURN(conn_, Connect(o_));
    if (cursor_column_ == nullptr) {
      QUARRY_RETURN_NOT_OK(Begin());
      QUARRY_RETURN_NOT_OK(
          Copy(fmt::format("SELECT {} FROM {}", SelectList(), info_.Qualified()), out).status());
      return Exec(conn_.get(), "COMMIT", What("commit"));
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c]->name == *cursor_column_) cursor_ = static_cast<int>(c);
    }
    if (cursor_ < 0) {
      return Status::Invalid(
          fmt::format("table {}: cursor column {} is not synced", table_.name, *cursor_column_));
    }
    auto saved = state.find(table_.name);
    return ReadIncremental(saved == state.end() ? nullptr : &saved->second, out);
  }

 private:
  std::string What(std::string_view what) const {
    return fmt::format("table {}: {}", table_.name, what);
  }

  Status Begin() {
    QUARRY_RETURN_NOT_OK(
        Exec(conn_.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", What("begin")));
    if (snapshot_.empty()) return Status::OK();
    return Exec(conn_.get(), "SET TRANSACTION SNAPSHOT " + Literal(snapshot_),
                What("set snapshot"));
  }

  std::string SelectList() const {
    std::vector<std::string> names;
    for (const auto* c : columns_) names.push_back(c->Select());
    return Join(names);
  }

  // Chunks end at the chunk_size-th cursor value from the start (or from the saved cursor) and
  // take in every row sharing that value; a checkpoint of the last value follows each chunk.
  // All chunks read the same snapshot, so a chunk with fewer values is the last one.
  Status ReadIncremental(const std::string* saved, RowWriter& out) {
    const ColumnInfo& col = *columns_[static_cast<size_t>(cursor_)];
    if (saved != nullptr) {
      // A saved value the column's type cannot read is the user's to fix; say so plainly.
      const char* values[] = {saved->c_str()};
      PgResult r(conn_->ExecParams("SELECT $1::" + col.pg_type, 1, values, nullptr, nullptr, 0));
      if (r == nullptr) return PgError(conn_.get(), What("check saved cursor"));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        return Status::Invalid(fmt::format(
            "table {}: saved cursor \"{}\" is not a valid {} for column {} (reset the state of "
            "this table to sync it from the start)",
            table_.name, *saved, col.pg_type, col.name));
      }
    }
    QUARRY_RETURN_NOT_OK(Begin());
    // Qualified: ORDER BY would read a bare name as the output column, which may be ::text.
    const std::string c = "src." + Quote(col.name);
    std::vector<std::string> order = {c};
    for (const auto& k : info_.primary_key) {
      if (k != col.name) order.push_back("src." + Quote(k));
    }
    std::optional<std::string> cur;
    if (saved != nullptr) cur = *saved;
    for (;;) {
      const std::string cond =
          cur ? fmt::format("{} > {}", c, Literal(*cur)) : fmt::format("{} IS NOT NULL", c);
      // The chunk's last cursor value, looked up first: a constant bound lets the server read
      // just the chunk's range of an index on the cursor.
      const std::string bound_sql = fmt::format(
          "SELECT {c}::text FROM {rel} AS src WHERE {cond} ORDER BY {c} OFFSET {skip} "
          "LIMIT 1",
          fmt::arg("c", c), fmt::arg("rel", info_.Qualified()), fmt::arg("cond", cond),
          fmt::arg("skip", o_.chunk_size - 1));
      PgResult bound(conn_->Exec(bound_sql));
      if (PQresultStatus(bound.get()) != PGRES_TUPLES_OK) {
        return PgError(conn_.get(), What("find chunk"));
      }
      const bool last_chunk = PQntuples(bound.get()) == 0;
      const std::string upper =
          last_chunk ? "" : fmt::format(" AND {} <= {}", c, Literal(PQgetvalue(bound.get(), 0, 0)));
      const std::string sql =
          fmt::format("SELECT {}, {}::text AS quarry_cursor FROM {} AS src WHERE {}{} ORDER BY {}",
                      SelectList(), c, info_.Qualified(), cond, upper, Join(order));
      QUARRY_ASSIGN_OR_RETURN(int64_t rows, Copy(sql, out));
      if (rows == 0) break;
      cur = last_cursor_;
      QUARRY_RETURN_NOT_OK(out.Checkpoint(table_.name, *cur));
      if (last_chunk) break;
    }
    return Exec(conn_.get(), "COMMIT", What("commit"));
  }

  // Runs `COPY (select) TO STDOUT (FORMAT binary)` and appends every row; returns the number of
  // rows. For incremental reads the select has one more column: the cursor as text.
  Result<int64_t> Copy(const std::string& select, RowWriter& out) {
    const std::string sql = "COPY (" + select + ") TO STDOUT (FORMAT binary)";
    {
      PgResult r(conn_->Exec(sql));
      if (PQresultStatus(r.get()) != PGRES_COPY_OUT) return PgError(conn_.get(), What("copy"));
    }
    pending_.clear();
    header_done_ = false;
    bool trailer = false;
    int64_t rows = 0;
    for (;;) {
      char* buf = nullptr;
      const int n = conn_->GetCopyData(&buf);
      if (n == -1) break;
      if (n < 0) return PgError(conn_.get(), What("copy"));
      Status st;
      if (pending_.empty()) {
        st = Parse(buf, static_cast<size_t>(n), out, &rows, &trailer);
      } else {
        pending_.append(buf, static_cast<size_t>(n));
        std::string data = std::move(pending_);
        pending_.clear();
        st = Parse(data.data(), data.size(), out, &rows, &trailer);
      }
      PQfreemem(buf);
      QUARRY_RETURN_NOT_OK(st);
    }
    PgResult r(conn_->GetResult());
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return PgError(conn_.get(), What("copy"));
    while (PgResult more{conn_->GetResult()}) {
    }
    if (!trailer || !pending_.empty()) {
      return Status::IOError(
          fmt::format("postgresql source: {}: copy ended inside a row", table_.name));
    }
    return rows;
  }

  // Appends the complete rows of data[0, size) and keeps an incomplete tail in pending_.
  Status Parse(const char* data, size_t size, RowWriter& out, int64_t* rows, bool* trailer) {
    const char* p = data;
    const char* end = data + size;
    if (!header_done_) {
      static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // + '\0'
      if (size < 19) {
        pending_.assign(p, size);
        return Status::OK();
      }
      if (std::memcmp(p, kSignature, 11) != 0) return Malformed("bad header");
      const uint32_t ext = ReadBe<uint32_t>(p + 15);
      if (size < 19 + ext) {
        pending_.assign(p, size);
        return Status::OK();
      }
      p += 19 + ext;
      header_done_ = true;
    }
    const int nfields = static_cast<int>(columns_.size()) + (cursor_ >= 0 ? 1 : 0);
    while (p < end) {
      if (end - p < 2) break;
      const int16_t count = ReadBe<int16_t>(p);
      if (count == -1) {
        *trailer = true;
        p += 2;
        continue;
      }
      if (count != nfields) {
        return Malformed(fmt::format("{} fields in a row, want {}", count, nfields));
      }
      // The whole row first: a row split across messages waits for the rest.
      const char* q = p + 2;
      bool complete = true;
      for (int f = 0; f < count; ++f) {
        if (end - q < 4) {
          complete = false;
          break;
        }
        const int32_t len = ReadBe<int32_t>(q);
        q += 4;
        if (len > 0) {
          if (end - q < len) {
            complete = false;
            break;
          }
          q += len;
        }
      }
      if (!complete) break;
      q = p + 2;
      ++read_;
      for (int f = 0; f < count; ++f) {
        const int32_t len = ReadBe<int32_t>(q);
        q += 4;
        if (f == static_cast<int>(columns_.size())) {
          last_cursor_.assign(q, static_cast<size_t>(std::max(len, 0)));
        } else if (len < 0) {
          out.column(f).AppendNull();
        } else {
          const Mapping& m = mappings_[static_cast<size_t>(f)];
          Status s = m.type->id() == TypeId::kList ? AppendArray(m.wire, q, len, out.column(f))
                                                   : AppendScalar(m.wire, q, len, out.column(f));
          if (!s.ok()) return RowError(f, s.message());
        }
        if (len > 0) q += len;
      }
      p = q;
      ++*rows;
      QUARRY_RETURN_NOT_OK(out.EndRow());
    }
    if (p < end) pending_.assign(p, static_cast<size_t>(end - p));
    return Status::OK();
  }

  Status Malformed(std::string_view what) const {
    return Status::IOError(
        fmt::format("postgresql source: {}: malformed copy data: {}", table_.name, what));
  }

  // "table t: column c, row N: …" with N the row's position, from 1, in the order this sync read
  // the table.
  Status RowError(int c, std::string_view problem) const {
    return Status::Invalid(fmt::format("table {}: column {}, row {}: {}", table_.name,
                                       columns_[static_cast<size_t>(c)]->name, read_, problem));
  }

  const Options& o_;
  const TableInfo& info_;
  const schema::Table& table_;  // with the _cq_* columns
  const std::string& snapshot_;
  const std::string* cursor_column_;        // null for full tables
  std::vector<const ColumnInfo*> columns_;  // the plugin's own columns, as selected
  std::vector<Mapping> mappings_;
  Conn conn_;
  int cursor_ = -1;  // index in columns_ of an incremental table's cursor
  int64_t read_ = 0;
  std::string last_cursor_;  // text form of the last row's cursor
  std::string pending_;      // an incomplete row (or header) waiting for more copy data
  bool header_done_ = false;
};

}  // namespace

Status ReadTable(const Options& o, const TableInfo& info, const schema::Table& table,
                 const std::string& snapshot, const std::string* cursor_column,
                 const std::map<std::string, std::string>& state, RowWriter& out) {
  TableReader reader(o, info, table, snapshot, cursor_column);
  return reader.Run(state, out);
}

}  // namespace quarry::plugins::postgresql_source
