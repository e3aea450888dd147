#include "quarry/types/record_batch.h"

#include <fmt/format.h>

namespace quarry::types {

int Schema::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<RecordBatchPtr> RecordBatch::Make(SchemaPtr schema, int64_t num_rows,
                                         std::vector<ArrayPtr> columns) {
  if (static_cast<int>(columns.size()) != schema->num_fields()) {
    return Status::Invalid(fmt::format("record batch: {} columns for {} fields", columns.size(),
                                       schema->num_fields()));
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field& f = schema->fields()[i];
    if (columns[i]->length() != num_rows) {
      return Status::Invalid(fmt::format("record batch: column {} has {} rows, expected {}", f.name,
                                         columns[i]->length(), num_rows));
    }
    if (!columns[i]->type()->Equals(*f.type)) {
      return Status::Invalid(fmt::format("record batch: column {} is {}, field says {}", f.name,
                                         columns[i]->type()->ToString(), f.type->ToString()));
    }
  }
  return std::make_shared<const RecordBatch>(std::move(schema), num_rows, std::move(columns));
}

int64_t RecordBatch::size_bytes() const {
  int64_t n = 0;
  for (const auto& c : columns_) n += c->size_bytes();
  return n;
}

std::string RecordBatch::RowToJson(int64_t i) const {
  std::string out = "{";
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (c > 0) out += ",";
    AppendJsonString(schema_->fields()[c].name, &out);
    out += ":";
    AppendValueJson(*columns_[c], i, &out);
  }
  out += "}";
  return out;
}

RecordBatchBuilder::RecordBatchBuilder(SchemaPtr schema) : schema_(std::move(schema)) {
  for (const Field& f : schema_->fields()) {
    builders_.push_back(std::make_unique<ArrayBuilder>(f.type));
  }
}

int64_t RecordBatchBuilder::size_bytes() const {
  int64_t n = 0;
  for (const auto& b : builders_) n += b->size_bytes();
  return n;
}

Result<RecordBatchPtr> RecordBatchBuilder::Finish() {
  const int64_t rows = num_rows();
  for (size_t i = 0; i < builders_.size(); ++i) {
    if (builders_[i]->length() != rows) {
      return Status::Internal(fmt::format("column {} has {} values but the batch has {} rows",
                                          schema_->fields()[i].name, builders_[i]->length(), rows));
    }
  }
  std::vector<ArrayPtr> columns;
  columns.reserve(builders_.size());
  for (auto& b : builders_) {
    QUARRY_ASSIGN_OR_RETURN(ArrayPtr a, b->Finish());
    columns.push_back(std::move(a));
  }
  return std::make_shared<const RecordBatch>(schema_, rows, std::move(columns));
}

}  // namespace quarry::types
