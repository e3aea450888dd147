// Field, Schema and RecordBatch: named, typed columns of equal length; and RecordBatchBuilder,
// one ArrayBuilder per field.
//
// Schema and RecordBatch are immutable and thread-safe (shared as shared_ptr<const …>).
// RecordBatchBuilder is not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "quarry/types/array.h"
#include "quarry/types/builder.h"

namespace quarry::types {

using Metadata = std::map<std::string, std::string>;

struct Field {
  std::string name;
  TypePtr type;
  bool nullable = true;
  Metadata metadata;
};

class Schema {
 public:
  explicit Schema(std::vector<Field> fields, Metadata metadata = {})
      : fields_(std::move(fields)), metadata_(std::move(metadata)) {}
  const std::vector<Field>& fields() const { return fields_; }
  const Field& field(int i) const { return fields_[static_cast<size_t>(i)]; }
  int num_fields() const { return static_cast<int>(fields_.size()); }
  // Index of the field with this name, or -1.
  int IndexOf(std::string_view name) const;
  const Metadata& metadata() const { return metadata_; }

 private:
  std::vector<Field> fields_;
  Metadata metadata_;
};

using SchemaPtr = std::shared_ptr<const Schema>;

class RecordBatch;
using RecordBatchPtr = std::shared_ptr<const RecordBatch>;

class RecordBatch {
 public:
  // Checks that there is one column per field, of the field's type and of num_rows rows.
  static Result<RecordBatchPtr> Make(SchemaPtr schema, int64_t num_rows,
                                     std::vector<ArrayPtr> columns);

  const SchemaPtr& schema() const { return schema_; }
  int64_t num_rows() const { return num_rows_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  const Array& column(int i) const { return *columns_[static_cast<size_t>(i)]; }
  const ArrayPtr& column_ptr(int i) const { return columns_[static_cast<size_t>(i)]; }
  int64_t size_bytes() const;

  // Row i as a JSON object ({"col": value, …}) in field order.
  std::string RowToJson(int64_t i) const;

  RecordBatch(SchemaPtr schema, int64_t num_rows, std::vector<ArrayPtr> columns)
      : schema_(std::move(schema)), num_rows_(num_rows), columns_(std::move(columns)) {}

 private:
  SchemaPtr schema_;
  int64_t num_rows_;
  std::vector<ArrayPtr> columns_;
};

class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(SchemaPtr schema);

  const SchemaPtr& schema() const { return schema_; }
  ArrayBuilder& column(int i) { return *builders_[static_cast<size_t>(i)]; }
  // Rows completed so far: the length of the first column.
  int64_t num_rows() const { return builders_.empty() ? 0 : builders_[0]->length(); }
  int64_t size_bytes() const;

  // Finishes every column into a batch and leaves the builder empty. Fails when the columns do
  // not all have the same length (a resolver forgot a value).
  Result<RecordBatchPtr> Finish();

 private:
  SchemaPtr schema_;
  std::vector<std::unique_ptr<ArrayBuilder>> builders_;
};

}  // namespace quarry::types
