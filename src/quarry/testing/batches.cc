#include "quarry/testing/batches.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "quarry/types/json.h"

namespace quarry::testing {

types::RecordBatchPtr BatchFromJson(const schema::Table& table, std::string_view json) {
  auto batch = types::BatchFromJson(table.arrow_schema, json);
  if (!batch.ok()) {
    ADD_FAILURE() << "rows of " << table.name << ": " << batch.status().ToString() << "\n" << json;
    return nullptr;
  }
  return *batch;
}

schema::TablePtr KeyedTable(const std::string& name, const std::string& key) {
  schema::Table t{name, "", "", {{key, types::int64(), "", true}}};
  auto finalized = schema::Finalize(t);
  if (!finalized.ok()) {
    ADD_FAILURE() << "table " << name << ": " << finalized.status().ToString();
    return nullptr;
  }
  return schema::WithCqColumns(**finalized);
}

types::RecordBatchPtr KeyedRows(const schema::TablePtr& table, int64_t from, int64_t n) {
  const std::string key = table->PrimaryKeys().at(0);
  std::string json = "[";
  for (int64_t i = 0; i < n; ++i) {
    json += fmt::format(R"({}{{"_cq_id":"0f8fad5b-d9cb-469f-a165-70867728950e","{}":{}}})",
                        i > 0 ? "," : "", key, from + i);
  }
  return BatchFromJson(*table, json + "]");
}

}  // namespace quarry::testing
