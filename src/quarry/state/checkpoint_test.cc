#include "quarry/state/checkpoint.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "quarry/testing/batches.h"
#include "quarry/testing/fake_destination.h"
#include "quarry/testing/status.h"

namespace quarry::state {
namespace {

using testing::FakeDestination;
using testing::FakeDestinationOptions;
using Calls = std::vector<std::string>;

// Both destinations of a pipeline are readable, so that ReadAll can read the state back.
FakeDestinationOptions Readable() { return {.readable = true}; }

schema::TablePtr DataTable() { return testing::KeyedTable("events", "seq"); }

message::Insert Rows(const schema::TablePtr& t, int from, int n) {
  return {t, testing::KeyedRows(t, from, n)};
}

struct Pipeline {
  // Two destinations: 0 holds data only, 1 holds data and the state.
  FakeDestination data{Readable()}, backend{Readable()};
  CheckpointCoordinator coord{2};
  schema::TablePtr state_table = *StateTable("state");
  Channel<message::Message> ch0{64}, ch1{64};
  std::unique_ptr<writer::BatchWriter> w0, w1;
  Status st0, st1;

  // `batch_size`: rows per early write in both writers (events is checkpointed).
  // `wrap`: wraps the data writer's policy.
  using Wrap = std::function<std::shared_ptr<writer::CheckpointPolicy>(
      std::shared_ptr<writer::CheckpointPolicy>)>;
  explicit Pipeline(int64_t batch_size = 10'000, const Wrap& wrap = nullptr) {
    writer::WriterOptions o0, o1;
    o0.checkpoints = wrap ? wrap(DataPolicy(coord, 0)) : DataPolicy(coord, 0);
    o1.checkpoints = BackendPolicy(coord, 1, state_table, "src");
    o1.own_tables = {state_table};
    for (auto* o : {&o0, &o1}) {
      o->batch.batch_size = batch_size;
      o->checkpointed_tables = {"events"};
    }
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
  ASSERT_OK(p.st0);
  ASSERT_OK(p.st1);
  EXPECT_EQ(p.data.calls(), (Calls{"migrate events", "write events:5", "write events:3"}));
  EXPECT_EQ(p.backend.calls(),
            (Calls{"migrate state events", "write events:5 state:1", "write events:3 state:1"}));
  ASSERT_OK_AND_ASSIGN(auto all, ReadAll(p.backend, *p.state_table));
  EXPECT_EQ(ForSource(all, "src"), (std::map<std::string, std::string>{{"events", "7"}}));
  EXPECT_EQ(p.coord.committed().at("events"), "7");
}

TEST(CheckpointTest, CursorIsNotSavedWhenAnotherDestinationFailed) {
  Pipeline p;
  p.data.options.fail_on_write = 2;  // the second flush of the data-only destination fails
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

int64_t MaxSeq(const std::vector<plugin::TableWrite>& writes) {
  int64_t max = -1;
  for (const auto& w : writes) {
    if (w.table->name != "events") continue;
    const int c = w.table->ColumnIndex("seq");
    for (const auto& b : *w.batches) {
      for (int64_t i = 0; i < b->num_rows(); ++i) {
        max = std::max(max, b->column(c).Value<int64_t>(i));
      }
    }
  }
  return max;
}

TEST(CheckpointTest, BackendCommitsRowsWrittenEarlyOnlyWithTheirCursor) {
  // batch_size 2 makes the backend write rows before the checkpoint that covers them: they must
  // land in the same transaction as that cursor, never before it (exactly once after a crash).
  Pipeline p(/*batch_size=*/2);
  p.backend.options.transactions = true;
  auto t = DataTable();
  p.Send(message::MigrateTable{t});
  p.Send(Rows(t, 0, 5));
  p.Send(Rows(t, 5, 2));
  p.Send(message::Checkpoint{"events", "6", 1});
  p.Send(Rows(t, 7, 3));
  p.Send(message::Checkpoint{"events", "9", 2});
  p.ch0.Close();
  p.ch1.Close();
  p.Run();
  ASSERT_OK(p.st0);
  ASSERT_OK(p.st1);
  EXPECT_EQ(p.backend.calls(), (Calls{"migrate state events", "write events:5 events:2 state:1",
                                      "write events:3 state:1"}));
}

TEST(CheckpointTest, BackendWithoutTransactionsKeepsRowsUntilTheirCursor) {
  Pipeline p(/*batch_size=*/2);
  auto t = DataTable();
  p.Send(Rows(t, 0, 5));
  p.Send(message::Checkpoint{"events", "4", 1});
  p.ch0.Close();
  p.ch1.Close();
  p.Run();
  ASSERT_OK(p.st0);
  ASSERT_OK(p.st1);
  EXPECT_EQ(p.backend.calls(), (Calls{"migrate state", "write events:5 state:1"}));
}

// Tells when the data writer is about to wait before an early write.
class SignallingPolicy final : public writer::CheckpointPolicy {
 public:
  SignallingPolicy(std::shared_ptr<writer::CheckpointPolicy> inner, std::function<void()> waiting)
      : inner_(std::move(inner)), waiting_(std::move(waiting)) {}
  Status OnCheckpoint(const message::Checkpoint& cp, const writer::FlushFn& flush) override {
    return inner_->OnCheckpoint(cp, flush);
  }
  Status BeforeEarlyWrite() override {
    waiting_();
    return inner_->BeforeEarlyWrite();
  }

 private:
  std::shared_ptr<writer::CheckpointPolicy> inner_;
  std::function<void()> waiting_;
};

TEST(CheckpointTest, DataDestinationNeverCommitsMoreThanOneIntervalPastTheSavedCursor) {
  // Intervals of 5 rows (cursor = last seq covered), batches of 2 rows that do not divide them.
  // The backend is slow: it commits a cursor only once the data writer has either written past
  // the next interval or is waiting. Every data commit must stay within one interval of the
  // cursor saved at that moment — what a crash could duplicate in an append destination.
  std::mutex mu;
  std::condition_variable cv;
  bool data_waiting = false;
  int64_t data_max = -1;
  std::vector<std::string> violations;
  Pipeline p(/*batch_size=*/2, [&](std::shared_ptr<writer::CheckpointPolicy> inner) {
    return std::make_shared<SignallingPolicy>(std::move(inner), [&] {
      std::lock_guard lock(mu);
      data_waiting = true;
      cv.notify_all();
    });
  });
  CheckpointCoordinator* coord = &p.coord;
  p.data.options.before_write = [&](const std::vector<plugin::TableWrite>& writes) {
    const auto committed = coord->committed();
    const int64_t cursor = committed.count("events") ? std::stoll(committed.at("events")) : -1;
    const int64_t max = MaxSeq(writes);
    if (max > cursor + 5) {
      violations.push_back(
          fmt::format("rows up to seq {} committed with the cursor at {}", max, cursor));
    }
    std::lock_guard lock(mu);
    data_max = std::max(data_max, max);
    data_waiting = false;
    cv.notify_all();
  };
  p.backend.options.before_write = [&](const std::vector<plugin::TableWrite>& writes) {
    if (writes.back().table->name != "state") return;
    const int64_t covered = MaxSeq(writes);  // the backend's own rows of this checkpoint
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return data_waiting || data_max > covered + 5 || data_max >= 19; });
  };
  auto t = DataTable();
  for (int k = 0; k < 4; ++k) {
    p.Send(Rows(t, 5 * k, 5));
    p.Send(message::Checkpoint{"events", std::to_string(5 * k + 4), k + 1});
  }
  p.ch0.Close();
  p.ch1.Close();
  p.Run();
  ASSERT_OK(p.st0);
  ASSERT_OK(p.st1);
  EXPECT_EQ(violations, std::vector<std::string>{});
  EXPECT_EQ(p.coord.committed().at("events"), "19");
}

TEST(CheckpointTest, LatestVersionWinsAndEmptyValueDeletes) {
  FakeDestination d{Readable()};
  auto table = *StateTable("state");
  ASSERT_OK_AND_ASSIGN(auto rows, StateBatch(*table, {{"a:t1", "5", 10},
                                                      {"a:t1", "9", 12},
                                                      {"a:t1", "7", 11},
                                                      {"a:t2", "x", 3},
                                                      {"a:t2", "", 4},
                                                      {"b:t1", "1", 1}}));
  ASSERT_OK(d.Write(*table, {rows}));
  ASSERT_OK_AND_ASSIGN(auto all, ReadAll(d, *table));
  EXPECT_EQ(ForSource(all, "a"), (std::map<std::string, std::string>{{"t1", "9"}}));
  EXPECT_EQ(ForSource(all, "b"), (std::map<std::string, std::string>{{"t1", "1"}}));
}

}  // namespace
}  // namespace quarry::state
