#include "quarry/engine/engine.h"

#include <gtest/gtest.h>

#include <mutex>

#include "plugins/source/test/test_source.h"

namespace quarry::engine {
namespace {

// A destination that keeps rows in memory and can fail on its Nth write.
struct MemoryStore {
  std::mutex mu;
  std::map<std::string, int64_t> rows;
  std::vector<std::string> deleted_tables;
  int writes = 0;
  int fail_on_write = -1;
};

class MemoryDestination : public plugin::DestinationPlugin {
 public:
  explicit MemoryDestination(MemoryStore& store) : store_(store) {}
  Status Configure(const nlohmann::json& spec) override {
    plugin::SpecReader r(spec);
    batch_ = plugin::ReadBatchOptions(r, {100, 1 << 30, 3'600'000'000});
    return r.Finish();
  }
  plugin::BatchOptions batch_options() const override { return batch_; }
  Status Init(const plugin::PluginContext&, const plugin::DestinationOptions&) override {
    return Status::OK();
  }
  Status Migrate(const std::vector<schema::TablePtr>&) override { return Status::OK(); }
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    std::lock_guard lock(store_.mu);
    if (++store_.writes == store_.fail_on_write) return Status::IOError("disk on fire");
    for (const auto& b : batches) store_.rows[table.name] += b->num_rows();
    return Status::OK();
  }
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view, int64_t) override {
    std::lock_guard lock(store_.mu);
    store_.deleted_tables.push_back(table.name);
    return int64_t{0};
  }

 private:
  MemoryStore& store_;
  plugin::BatchOptions batch_;
};

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
    registry_.AddSource("test", plugins::NewTestSource);
    registry_.AddDestination("memory",
                             [this] { return std::make_unique<MemoryDestination>(store_); });
  }
  Logger logger_;
  MemoryStore store_;
  plugin::PluginRegistry registry_;
};

TEST_F(EngineTest, EveryDestinationGetsEveryRowAndStaleDeletion) {
  auto cfg = MakeConfig({{"num_rows", 250}, {"num_sub_rows", 2}}, {"test_some_table"}, 2);
  cfg.sources[0].skip_dependent_tables = false;
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  Progress progress;
  SyncResult r = engine.Sync(*plan, {}, &progress);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.resources, 750);
  EXPECT_EQ(progress.rows(), 750);
  EXPECT_EQ(store_.rows["test_some_table"], 500);  // 250 rows × 2 destinations
  EXPECT_EQ(store_.rows["test_sub_table"], 1000);
  ASSERT_EQ(r.pairs.size(), 2u);
  EXPECT_EQ(r.pairs[0].resources, 750);
  EXPECT_EQ(r.pairs[0].tables.at("test_sub_table").written, 500);
  EXPECT_EQ(store_.deleted_tables.size(), 4u);
}

TEST_F(EngineTest, FailingDestinationAbortsTheSyncAndSaysWhy) {
  store_.fail_on_write = 3;
  auto cfg = MakeConfig({{"num_rows", 5000}}, {"test_inventory"});
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_TRUE(plan.ok());
  SyncResult r = engine.Sync(*plan, {}, nullptr);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0], "destination mem0: disk on fire");
  EXPECT_EQ(r.pairs[0].error, "destination mem0: disk on fire");
  // Two writes landed (one 1,024-row record each: the source sends records of 1,024 rows);
  // nothing beyond them is reported as written; no stale deletion ran.
  EXPECT_EQ(store_.rows["test_inventory"], 2048);
  EXPECT_EQ(r.pairs[0].resources, 2048);
  EXPECT_TRUE(store_.deleted_tables.empty());
}

TEST_F(EngineTest, TableErrorsCountAndSkipStaleDeletion) {
  auto cfg = MakeConfig({{"fail_immediately", true}}, {"test_some_table"});
  Engine engine(registry_, logger_);
  auto plan = engine.Prepare(cfg);
  ASSERT_TRUE(plan.ok());
  SyncResult r = engine.Sync(*plan, {}, nullptr);
  EXPECT_EQ(r.errors, 1);
  EXPECT_EQ(r.pairs[0].tables.at("test_some_table").errors, 1);
  EXPECT_TRUE(store_.deleted_tables.empty());
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
  EXPECT_EQ(store_.writes, 0);
}

}  // namespace
}  // namespace quarry::engine
