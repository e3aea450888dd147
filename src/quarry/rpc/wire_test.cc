#include "quarry/rpc/wire.h"

#include <gtest/gtest.h>

#include "quarry/types/json.h"

namespace quarry::rpc {
namespace {

schema::TablePtr Items() {
  schema::Table t;
  t.name = "items";
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  t.columns = {id, {"name", types::utf8()}, {"note", types::utf8()}};
  auto fin = schema::Finalize(t);
  EXPECT_TRUE(fin.ok());
  return schema::WithCqColumns(**fin);
}

types::RecordBatchPtr Record(std::vector<types::Field> fields, const char* rows) {
  auto b = types::BatchFromJson(std::make_shared<const types::Schema>(std::move(fields)), rows);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return *b;
}

TEST(WireTest, ConformAddsTheOrchestratorColumnsAndIds) {
  auto table = Items();
  // As a CloudQuery source sends it: no _cq_source_name / _cq_sync_time; here no _cq_id either.
  auto rec = Record({{"id", types::int64()}, {"name", types::utf8()}},
                    R"([{"id":1,"name":"a"},{"id":2}])");
  auto out = ConformBatch(*table, *rec, {"aws", 1'700'000'000'000'000});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)->schema(), table->arrow_schema);
  const std::string row = (*out)->RowToJson(0);
  EXPECT_NE(row.find(R"("_cq_source_name":"aws","_cq_sync_time":"2023-11-14T22:13:20.000000Z")"),
            std::string::npos)
      << row;
  EXPECT_NE(row.find(R"("id":1,"name":"a","note":null)"), std::string::npos) << row;
  // Every row got its own _cq_id.
  const int id_col = table->ColumnIndex("_cq_id");
  EXPECT_NE((*out)->column(id_col).GetView(0), (*out)->column(id_col).GetView(1));
  EXPECT_EQ((*out)->column(id_col).null_count(), 0);
}

TEST(WireTest, ConformRefusesWhatDoesNotFit) {
  auto table = Items();
  auto wrong_type = ConformBatch(*table, *Record({{"id", types::utf8()}}, R"([{"id":"x"}])"), {});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().message(),
            "table items: column id: record has type utf8, table has int64");
  auto extra = ConformBatch(
      *table, *Record({{"id", types::int64()}, {"zzz", types::int64()}}, R"([{"id":1,"zzz":2}])"),
      {});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.status().message(), "table items: record has column zzz the table does not");
  auto missing = ConformBatch(*table, *Record({{"name", types::utf8()}}, R"([{"name":"a"}])"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "table items: record has no column id (not null)");
  auto no_columns = ConformBatch(
      *table,
      types::RecordBatch(std::make_shared<const types::Schema>(std::vector<types::Field>{}),
                         int64_t{1} << 40, {}),
      {});
  ASSERT_FALSE(no_columns.ok());
  EXPECT_EQ(no_columns.status().message(),
            "table items: record of 1099511627776 rows without columns");
  auto null_key = ConformBatch(*table, *Record({{"id", types::int64()}}, R"([{"id":1},{}])"), {});
  ASSERT_FALSE(null_key.ok());
  EXPECT_EQ(null_key.status().message(),
            "table items: column id: row 2: null in a not-null column");
}

TEST(WireTest, ServedTablesLeaveTheOrchestratorColumnsOut) {
  auto table = Items();
  auto stripped = StripOrchestratorColumns(*table);
  std::vector<std::string> names;
  for (const auto& c : stripped->columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"_cq_id", "_cq_parent_id", "id", "name", "note"}));
  auto full = ConformBatch(*table, *Record({{"id", types::int64()}}, R"([{"id":5}])"), {"s", 1});
  ASSERT_TRUE(full.ok());
  auto batch = StripOrchestratorColumns(*stripped, **full);
  EXPECT_EQ(batch->num_columns(), 5);
  EXPECT_EQ(batch->schema(), stripped->arrow_schema);
}

TEST(WireTest, AppendTablesHaveNoKeys) {
  auto t = WithoutKeys(*Items());
  EXPECT_TRUE(t->PrimaryKeys().empty());
  for (const auto& c : t->columns) EXPECT_FALSE(c.unique) << c.name;
}

}  // namespace
}  // namespace quarry::rpc
