#include "quarry/rpc/wire.h"

#include <fmt/format.h>

#include "quarry/base/uuid.h"

namespace quarry::rpc {

namespace {

bool IsOrchestratorColumn(std::string_view name) {
  return name == schema::kCqSourceName || name == schema::kCqSyncTime;
}

schema::Table StripTree(const schema::Table& t) {
  schema::Table out = t;
  out.columns.clear();
  for (const auto& c : t.columns) {
    if (!IsOrchestratorColumn(c.name)) out.columns.push_back(c);
  }
  out.relations.clear();
  for (const auto& r : t.relations) {
    out.relations.push_back(std::make_shared<const schema::Table>(StripTree(*r)));
  }
  out.arrow_schema = schema::ArrowSchemaOf(out);
  return out;
}

// A column of `n` copies of one value.
Result<types::ArrayPtr> Constant(const types::TypePtr& type, int64_t n, std::string_view bytes,
                                 int64_t fixed) {
  types::ArrayBuilder b(type);
  for (int64_t i = 0; i < n; ++i) {
    if (type->layout() == types::Layout::kVarBinary) {
      b.AppendBytes(bytes);
    } else {
      b.Append<int64_t>(fixed);
    }
  }
  return b.Finish();
}

}  // namespace

schema::TablePtr StripOrchestratorColumns(const schema::Table& table) {
  return std::make_shared<const schema::Table>(StripTree(table));
}

types::RecordBatchPtr StripOrchestratorColumns(const schema::Table& stripped,
                                               const types::RecordBatch& batch) {
  std::vector<types::ArrayPtr> cols;
  cols.reserve(stripped.columns.size());
  const types::Schema& s = *batch.schema();
  for (int i = 0; i < s.num_fields(); ++i) {
    if (!IsOrchestratorColumn(s.field(i).name)) cols.push_back(batch.column_ptr(i));
  }
  return std::make_shared<const types::RecordBatch>(stripped.arrow_schema, batch.num_rows(),
                                                    std::move(cols));
}

Result<types::RecordBatchPtr> ConformBatch(const schema::Table& table,
                                           const types::RecordBatch& record,
                                           const ConformOptions& options) {
  const types::Schema& rs = *record.schema();
  const int64_t n = record.num_rows();
  // Columns filled in here are as long as the record: some column of its own must bound that.
  if (rs.num_fields() == 0 && n > 0) {
    return Status::Invalid(
        fmt::format("table {}: record of {} rows without columns", table.name, n));
  }
  std::vector<types::ArrayPtr> cols;
  cols.reserve(table.columns.size());
  int used = 0;
  for (const auto& c : table.columns) {
    const int i = rs.IndexOf(c.name);
    if (i >= 0) {
      ++used;
      const types::Array& a = record.column(i);
      if (!a.type()->Equals(*c.type)) {
        return Status::Invalid(fmt::format("table {}: column {}: record has type {}, table has {}",
                                           table.name, c.name, a.type()->ToString(),
                                           c.type->ToString()));
      }
      if (c.not_null && a.null_count() > 0) {
        for (int64_t r = 0; r < n; ++r) {
          if (a.IsNull(r)) {
            return Status::Invalid(
                fmt::format("table {}: column {}: row {}: null in a not-null "
                            "column",
                            table.name, c.name, r + 1));
          }
        }
      }
      cols.push_back(record.column_ptr(i));
      continue;
    }
    if (c.name == schema::kCqSourceName) {
      QUARRY_ASSIGN_OR_RETURN(auto a, Constant(c.type, n, options.source_name, 0));
      cols.push_back(std::move(a));
    } else if (c.name == schema::kCqSyncTime) {
      QUARRY_ASSIGN_OR_RETURN(auto a, Constant(c.type, n, {}, options.sync_time_us));
      cols.push_back(std::move(a));
    } else if (c.name == schema::kCqId) {
      types::ArrayBuilder b(c.type);
      UuidGenerator gen;
      uint8_t id[16];
      for (int64_t r = 0; r < n; ++r) {
        gen.NextV4(id);
        b.AppendBytes({reinterpret_cast<const char*>(id), 16});
      }
      QUARRY_ASSIGN_OR_RETURN(auto a, b.Finish());
      cols.push_back(std::move(a));
    } else if (!c.not_null) {
      types::ArrayBuilder b(c.type);
      for (int64_t r = 0; r < n; ++r) b.AppendNull();
      QUARRY_ASSIGN_OR_RETURN(auto a, b.Finish());
      cols.push_back(std::move(a));
    } else {
      return Status::Invalid(
          fmt::format("table {}: record has no column {} (not null)", table.name, c.name));
    }
  }
  if (used != rs.num_fields()) {
    for (const auto& f : rs.fields()) {
      if (table.ColumnIndex(f.name) < 0) {
        return Status::Invalid(
            fmt::format("table {}: record has column {} the table does not", table.name, f.name));
      }
    }
  }
  return std::make_shared<const types::RecordBatch>(table.arrow_schema, n, std::move(cols));
}

schema::TablePtr WithoutKeys(const schema::Table& table) {
  schema::Table t = table;
  for (auto& c : t.columns) {
    c.primary_key = false;
    c.unique = false;
  }
  t.relations.clear();
  for (const auto& r : table.relations) t.relations.push_back(WithoutKeys(*r));
  t.arrow_schema = schema::ArrowSchemaOf(t);
  return std::make_shared<const schema::Table>(std::move(t));
}

}  // namespace quarry::rpc
