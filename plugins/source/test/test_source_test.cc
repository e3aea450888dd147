#include "plugins/source/test/test_source.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "quarry/testing/collecting_sink.h"
#include "quarry/testing/status.h"
#include "quarry/types/json.h"

namespace quarry::plugins {
namespace {

using testing::CollectingSink;

Status SyncAll(const nlohmann::json& spec, CollectingSink& sink,
               std::vector<std::string> patterns = {"*"}) {
  auto src = NewTestSource();
  QUARRY_RETURN_NOT_OK(src->Configure(spec));
  QUARRY_ASSIGN_OR_RETURN(auto tree, src->Tables());
  QUARRY_ASSIGN_OR_RETURN(auto selected, schema::SelectTables(tree, {patterns, {}, true}));
  Logger logger;
  QUARRY_RETURN_NOT_OK(src->Init({&logger}));
  plugin::SyncRequest req;
  for (auto& t : selected) req.tables.push_back(schema::WithCqColumns(*t));
  req.source_name = "test";
  req.sync_time_us = 1;
  return src->Sync(req, sink);
}

TEST(TestSourceTest, RowCountsFollowTheOptions) {
  CollectingSink sink;
  ASSERT_OK(SyncAll({{"num_clients", 3}, {"num_rows", 7}, {"num_sub_rows", 4}}, sink));
  EXPECT_EQ(sink.NumRows("test_some_table"), 21);
  EXPECT_EQ(sink.NumRows("test_sub_table"), 84);
  EXPECT_EQ(sink.NumRows("test_testdata_table"), 3);
  EXPECT_EQ(sink.NumRows("test_inventory"), 21);
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
}

TEST(TestSourceTest, SameSeedSameValuesOtherSeedOtherValues) {
  auto values = [](int seed) {
    CollectingSink sink;
    EXPECT_OK(SyncAll({{"num_rows", 5}, {"seed", seed}}, sink, {"test_inventory"}));
    std::vector<std::string> out = sink.Rows("test_inventory");  // without _cq_id: random per run
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(values(1), values(1));
  EXPECT_NE(values(1), values(2));
}

TEST(TestSourceTest, SubTableHasExtraColumns) {
  auto src = NewTestSource();
  ASSERT_OK(src->Configure({{"num_sub_cols", 3}}));
  auto tables = *src->Tables();
  const auto& sub = *tables[0]->relations[0];
  EXPECT_EQ(sub.name, "test_sub_table");
  EXPECT_EQ(sub.columns.size(), 6u);
  EXPECT_EQ(sub.columns[5].name, "extra_column_2");
  EXPECT_EQ(sub.PrimaryKeys(), (std::vector<std::string>{"parent_resource_id", "sub_resource_id"}));
}

TEST(TestSourceTest, TestdataRowHasEveryType) {
  CollectingSink sink;
  ASSERT_OK(SyncAll({}, sink, {"test_testdata_table"}));
  const auto batches = sink.Batches("test_testdata_table");
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0]->num_rows(), 1);
  auto row = nlohmann::json::parse(batches[0]->RowToJson(0));
  EXPECT_EQ(row["uint64"], 18'000'000'000'000'000'000ULL);
  EXPECT_EQ(row["date32"], "2026-11-25");
  EXPECT_EQ(row["binary"], "AAH/");
  EXPECT_EQ(row["int64_list"][1], nullptr);
  EXPECT_EQ(row["utf8_list"][1], "y \"quoted\"");
  EXPECT_TRUE(row["null_utf8"].is_null());
  EXPECT_EQ(row["json"]["nested"]["ok"], true);
  EXPECT_EQ(row["_cq_source_name"], "test");
}

TEST(TestSourceTest, FailImmediatelyReportsTableErrors) {
  CollectingSink sink;
  ASSERT_OK(SyncAll({{"fail_immediately", true}}, sink, {"test_some_table"}));
  EXPECT_EQ(sink.Errors(),
            std::vector<std::string>{"test_some_table: failing as asked (fail_immediately: true)"});
}

TEST(TestSourceTest, RequiredEnvIsChecked) {
  auto src = NewTestSource();
  ASSERT_OK(src->Configure({{"required_env", {"QUARRY_TEST_NOT_SET_X=1"}}}));
  Logger logger;
  Status st = src->Init({&logger});
  EXPECT_EQ(st.message(),
            "required environment variable QUARRY_TEST_NOT_SET_X is not set (want \"1\")");
}

TEST(TestSourceTest, UnknownOptionIsRejected) {
  auto src = NewTestSource();
  Status st = src->Configure({{"num_rowz", 3}});
  EXPECT_NE(st.message().find("spec.num_rowz: unknown option"), std::string::npos);
}

}  // namespace
}  // namespace quarry::plugins
