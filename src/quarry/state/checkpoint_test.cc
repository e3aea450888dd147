#include "quarry/state/checkpoint.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "quarry/types/json.h"

namespace quarry::state {
namespace {

// Records every transaction (WriteAll call) as a line; can fail on its Nth transaction; keeps the
// rows of the state table so that ReadAll can read them back.
class MemoryDestination : public plugin::DestinationPlugin {
 public:
  Status Configure(const nlohmann::json&) override { return Status::OK(); }
  plugin::BatchOptions batch_options() const override { return {}; }
  Status Init(const plugin::PluginContext&, const config::DestinationSpec&) override {
    return Status::OK();
  }
  Status Migrate(const std::vector<schema::TablePtr>&) override { return Status::OK(); }
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    return WriteAll({{&table, &batches}});
  }
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override {
    std::lock_guard lock(mu);
    if (++transactions == fail_on) return Status::IOError("write failed");
    std::string line;
    for (const auto& w : writes) {
      int64_t rows = 0;
      for (const auto& b : *w.batches) {
        rows += b->num_rows();
        if (w.table->name == "state") stored.push_back(b);
      }
      line += fmt::format("{}{}:{}", line.empty() ? "" : " ", w.table->name, rows);
    }
    log.push_back(line);
    return Status::OK();
  }
  Status Read(const schema::Table&,
              const std::function<Status(types::RecordBatchPtr)>& fn) override {
    for (auto& b : stored) QUARRY_RETURN_NOT_OK(fn(b));
    return Status::OK();
  }
  Result<int64_t> DeleteStale(const schema::Table&, std::string_view, int64_t) override {
    return int64_t{0};
  }
  std::mutex mu;
  std::vector<std::string> log;
  std::vector<types::RecordBatchPtr> stored;
  int transactions = 0;
  int fail_on = -1;
};

schema::TablePtr DataTable() {
  schema::Table t{"events", "", "", {{"seq", types::int64(), "", true}}};
  return schema::WithCqColumns(**schema::Finalize(t));
}

message::Insert Rows(const schema::TablePtr& t, int from, int n) {
  std::string json = "[";
  for (int i = 0; i < n; ++i) {
    json += fmt::format("{}{{\"_cq_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"seq\":{}}}",
                        i ? "," : "", from + i);
  }
  return {t, *types::BatchFromJson(t->arrow_schema, json + "]")};
}

struct Pipeline {
  // Two destinations: 0 holds data only, 1 holds data and the state.
  MemoryDestination data, backend;
  CheckpointCoordinator coord{2};
  schema::TablePtr state_table = *StateTable("state");
  Channel<message::Message> ch0{64}, ch1{64};
  std::unique_ptr<writer::BatchWriter> w0, w1;
  Status st0, st1;

  Pipeline() {
    writer::WriterOptions o0, o1;
    o0.on_checkpoint = DataHook(coord, 0);
    o1.on_checkpoint = BackendHook(coord, 1, state_table, "src");
    o1.own_tables = {state_table};
    w0 = std::make_unique<writer::BatchWriter>(data, o0);
    w1 = std::make_unique<writer::BatchWriter>(backend, o1);
  }
  void Send(message::Message m) {
    ch0.Push(m);
    ch1.Push(std::move(m));
  }
  void Run() {
    std::jthread t0([&] {
      st0 = w0->Run(ch0);
      if (!st0.ok()) coord.Abort();
    });
    std::jthread t1([&] {
      st1 = w1->Run(ch1);
      if (!st1.ok()) coord.Abort();
    });
  }
};

TEST(CheckpointTest, CursorCommitsWithTheRowsItCoversInOneTransaction) {
  Pipeline p;
  auto t = DataTable();
  p.Send(message::MigrateTable{t});
  p.Send(Rows(t, 0, 5));
  p.Send(message::Checkpoint{"events", "4", 1});
  p.Send(Rows(t, 5, 3));
  p.Send(message::Checkpoint{"events", "7", 2});
  p.ch0.Close();
  p.ch1.Close();
  p.Run();
  ASSERT_TRUE(p.st0.ok() && p.st1.ok()) << p.st0.message() << p.st1.message();
  EXPECT_EQ(p.data.log, (std::vector<std::string>{"events:5", "events:3"}));
  EXPECT_EQ(p.backend.log, (std::vector<std::string>{"events:5 state:1", "events:3 state:1"}));
  auto all = ReadAll(p.backend, *p.state_table);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ForSource(*all, "src"), (std::map<std::string, std::string>{{"events", "7"}}));
  EXPECT_EQ(p.coord.committed().at("events"), "7");
}

TEST(CheckpointTest, CursorIsNotSavedWhenAnotherDestinationFailed) {
  Pipeline p;
  p.data.fail_on = 2;  // the second flush of the data-only destination fails
  auto t = DataTable();
  p.Send(Rows(t, 0, 5));
  p.Send(message::Checkpoint{"events", "4", 1});
  p.Send(Rows(t, 5, 3));
  p.Send(message::Checkpoint{"events", "7", 2});
  p.ch0.Close();
  p.ch1.Close();
  p.Run();
  EXPECT_EQ(p.st0.message(), "write failed");
  EXPECT_TRUE(p.st1.IsCancelled()) << p.st1.message();
  // The first cursor was saved (both had its rows); the second never was.
  EXPECT_EQ(p.coord.committed().at("events"), "4");
  EXPECT_EQ(ForSource(*ReadAll(p.backend, *p.state_table), "src").at("events"), "4");
}

TEST(CheckpointTest, LatestVersionWinsAndEmptyValueDeletes) {
  MemoryDestination d;
  auto table = *StateTable("state");
  d.stored.push_back(*StateBatch(*table, {{"a:t1", "5", 10}, {"a:t1", "9", 12}, {"a:t1", "7", 11},
                                          {"a:t2", "x", 3}, {"a:t2", "", 4}, {"b:t1", "1", 1}}));
  auto all = ReadAll(d, *table);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ForSource(*all, "a"), (std::map<std::string, std::string>{{"t1", "9"}}));
  EXPECT_EQ(ForSource(*all, "b"), (std::map<std::string, std::string>{{"t1", "1"}}));
}

}  // namespace
}  // namespace quarry::state
