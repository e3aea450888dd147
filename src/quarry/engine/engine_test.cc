#include "quarry/engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "plugins/source/test/test_source.h"
#include "quarry/testing/fake_destination.h"
#include "quarry/testing/status.h"

namespace quarry::engine {
namespace {

using testing::FakeDestination;

// The number of stale deletions `dest` ran.
int64_t Deletions(const FakeDestination& dest) {
  const auto calls = dest.calls();
  return std::count_if(calls.begin(), calls.end(),
                       [](const std::string& c) { return c.starts_with("delete_stale "); });
}

config::Config MakeConfig(nlohmann::json source_spec, std::vector<std::string> tables,
                          int destinations = 1) {
  config::Config cfg;
  config::SourceSpec s;
  s.kind = "source";
  s.name = "src";
  s.path = "test";
  s.tables = std::move(tables);
  s.spec = std::move(source_spec);
  for (int i = 0; i < destinations; ++i) {
    config::DestinationSpec d;
    d.kind = "destination";
    d.name = "mem" + std::to_string(i);
    d.path = "memory";
    s.destinations.push_back(d.name);
    cfg.destinations.push_back(d);
  }
  cfg.sources.push_back(s);
  return cfg;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    // Every destination "memory" records into dest_.
    dest_.options.batch = {100, 1 << 30, 3'600'000'000};
    dest_.options.write_error = Status::IOError("disk on fire");
    registry_.AddSource("test", plugins::NewTestSource);
    registry_.AddDestination("memory", [this] { return dest_.NewHandle(); });
  }
  Logger logger_;
  FakeDestination dest_;
  plugin::PluginRegistry registry_;
};

TEST_F(EngineTest, EveryDestinationGetsEveryRowAndStaleDeletion) {
  auto cfg = MakeConfig({{"num_rows", 250}, {"num_sub_rows", 2}}, {"test_some_table"}, 2);
  cfg.sources[0].skip_dependent_tables = false;
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_OK(plan);
  Progress progress;
  SyncResult r = engine.Sync(*plan, {}, &progress);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.resources, 750);
  EXPECT_EQ(progress.rows(), 750);
  EXPECT_EQ(dest_.NumRows("test_some_table"), 500);  // 250 rows × 2 destinations
  EXPECT_EQ(dest_.NumRows("test_sub_table"), 1000);
  ASSERT_EQ(r.pairs.size(), 2u);
  EXPECT_EQ(r.pairs[0].resources, 750);
  EXPECT_EQ(r.pairs[0].tables.at("test_sub_table").written, 500);
  EXPECT_EQ(Deletions(dest_), 4);
}

TEST_F(EngineTest, FailingDestinationAbortsTheSyncAndSaysWhy) {
  dest_.options.fail_on_write = 3;
  auto cfg = MakeConfig({{"num_rows", 5000}}, {"test_inventory"});
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_OK(plan);
  SyncResult r = engine.Sync(*plan, {}, nullptr);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0], "destination mem0: disk on fire");
  EXPECT_EQ(r.pairs[0].error, "destination mem0: disk on fire");
  // Two writes landed (one 1,024-row record each: the source sends records of 1,024 rows);
  // nothing beyond them is reported as written; no stale deletion ran.
  EXPECT_EQ(dest_.NumRows("test_inventory"), 2048);
  EXPECT_EQ(r.pairs[0].resources, 2048);
  EXPECT_EQ(Deletions(dest_), 0);
}

TEST_F(EngineTest, TableErrorsCountAndSkipStaleDeletion) {
  auto cfg = MakeConfig({{"fail_immediately", true}}, {"test_some_table"});
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_OK(plan);
  SyncResult r = engine.Sync(*plan, {}, nullptr);
  EXPECT_EQ(r.errors, 1);
  EXPECT_EQ(r.pairs[0].tables.at("test_some_table").errors, 1);
  EXPECT_EQ(Deletions(dest_), 0);
}

TEST_F(EngineTest, PrepareRejectsBadOptionsBeforeAnyDestinationIsOpened) {
  auto cfg = MakeConfig({{"num_rows", "many"}}, {"*"});
  cfg.sources[0].location = {"sync.yml", 1, 1};
  cfg.sources[0].key_locations["spec.num_rows"] = {"sync.yml", 9, 5};
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "sync.yml:9:5: source \"src\": spec.num_rows: expected an integer, got \"many\"");
  EXPECT_EQ(dest_.writes(), 0);
}

}  // namespace
}  // namespace quarry::engine
