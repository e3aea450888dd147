#include "tests/conformance/conformance_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "quarry/types/json.h"

namespace quarry::conformance {

schema::TablePtr SimpleTable(const std::string& name, bool with_extra, types::TypePtr value_type) {
  schema::Table t{name, "", ""};
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  t.columns = {id, {"value", value_type}};
  if (with_extra) t.columns.push_back({"extra", types::int64()});
  return schema::WithCqColumns(**schema::Finalize(t));
}

types::RecordBatchPtr Rows(const schema::TablePtr& t, const std::string& rows,
                           const char* sync_time, const char* source) {
  auto json = nlohmann::json::parse(rows);
  int i = 0;
  for (auto& r : json) {
    if (!r.contains("_cq_id")) {
      r["_cq_id"] = fmt::format("00000000-0000-4000-8000-{:012d}", r.value("id", 0) * 1000 + i);
    }
    r["_cq_source_name"] = source;
    r["_cq_sync_time"] = sync_time;
    ++i;
  }
  auto batch = types::BatchFromJson(t->arrow_schema, json.dump());
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  return batch.ok() ? *batch : nullptr;
}

std::vector<std::string> ReadBack(plugin::DestinationPlugin& d, const schema::Table& t,
                                  const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  Status st = d.Read(t, [&](types::RecordBatchPtr b) {
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      std::string row = "{";
      for (const auto& c : columns) {
        const int i = b->schema()->IndexOf(c);
        if (i < 0) return Status::Invalid("no column " + c);
        row += (row.size() > 1 ? "," : "") + (nlohmann::json(c).dump() + ":") +
               types::ValueToJson(b->column(i), r);
      }
      out.push_back(row + "}");
    }
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::sort(out.begin(), out.end());
  return out;
}

int64_t Micros(const char* rfc3339) { return *types::ParseTimestamp(rfc3339); }

std::string Normalize(const std::string& json) { return nlohmann::json::parse(json).dump(); }

}  // namespace quarry::conformance
