#include "quarry/writer/batch_writer.h"

#include <gtest/gtest.h>

#include <thread>

#include "quarry/testing/batches.h"
#include "quarry/testing/fake_clock.h"
#include "quarry/testing/fake_destination.h"
#include "quarry/testing/status.h"

namespace quarry::writer {
namespace {

using testing::FakeClock;
using testing::FakeDestination;
using Calls = std::vector<std::string>;

schema::TablePtr Table(const std::string& name) { return testing::KeyedTable(name); }

message::Insert Rows(const schema::TablePtr& t, int n) { return {t, testing::KeyedRows(t, 0, n)}; }

WriterOptions Options(int64_t rows, int64_t bytes = 1 << 30, int64_t timeout_us = 3'600'000'000) {
  WriterOptions o;
  o.batch = {rows, bytes, timeout_us};
  return o;
}

TEST(BatchWriterTest, FlushesWhenRowLimitReached) {
  FakeDestination dest;
  BatchWriter w(dest, Options(10));
  Channel<message::Message> ch(100);
  auto t = Table("t");
  ch.Push(message::MigrateTable{t});
  for (int i = 0; i < 5; ++i) ch.Push(Rows(t, 4));
  ch.Close();
  ASSERT_OK(w.Run(ch));
  EXPECT_EQ(dest.calls(), (Calls{"migrate t", "write t:12", "write t:8"}));
  EXPECT_EQ(dest.migrated("t")->PrimaryKeys(), std::vector<std::string>{"id"});
  EXPECT_EQ(w.stats().at("t").rows, 20);
  EXPECT_EQ(w.rows_written(), 20);
}

TEST(BatchWriterTest, FlushesWhenByteLimitReached) {
  FakeDestination dest;
  const int64_t one_record = Rows(Table("t"), 4).batch->size_bytes();
  BatchWriter w(dest, Options(1'000'000, one_record * 2));
  Channel<message::Message> ch(100);
  auto t = Table("t");
  for (int i = 0; i < 3; ++i) ch.Push(Rows(t, 4));
  ch.Close();
  ASSERT_OK(w.Run(ch));
  EXPECT_EQ(dest.calls(), (Calls{"write t:8", "write t:4"}));
}

TEST(BatchWriterTest, FlushesAnAgedBatchAtItsTimeoutWithoutAnotherMessage) {
  FakeDestination dest;
  FakeClock clock;
  WriterOptions o = Options(1'000'000, 1 << 30, /*timeout_us=*/1000);
  o.clock = &clock;
  BatchWriter w(dest, o);
  Channel<message::Message> ch(100);
  auto t = Table("t");
  std::jthread run([&] { EXPECT_OK(w.Run(ch)); });
  clock.Advance(500);
  ch.Push(Rows(t, 3));
  // The batch's age counts from its first row: the writer waits until 500 + 1000.
  EXPECT_EQ(clock.AwaitWaiter(), 1500);
  clock.Advance(999);
  EXPECT_EQ(clock.AwaitWaiter(), 1500);  // one microsecond short: still waiting, nothing written
  EXPECT_EQ(dest.calls(), Calls{});
  clock.Advance(1);
  // The write comes from the timeout: the stream is still open and nothing else arrived.
  ASSERT_TRUE(dest.WaitForCalls(1));
  EXPECT_EQ(dest.calls(), Calls{"write t:3"});
  ch.Close();
  run.join();
  EXPECT_EQ(dest.calls(), Calls{"write t:3"});
  EXPECT_EQ(w.rows_written(), 3);
}

TEST(BatchWriterTest, EachTableAgesFromItsOwnFirstRow) {
  FakeDestination dest;
  FakeClock clock;
  WriterOptions o = Options(/*rows=*/5, 1 << 30, /*timeout_us=*/1000);
  o.clock = &clock;
  dest.options.before_write = [&](const std::vector<plugin::TableWrite>& writes) {
    if (writes[0].table->name == "v") clock.Advance(600);  // v's write takes 600us
  };
  BatchWriter w(dest, o);
  Channel<message::Message> ch(100);
  auto t = Table("t"), u = Table("u"), v = Table("v");
  ch.Push(Rows(t, 3));  // at 0
  ch.Push(Rows(v, 5));  // full: written; the clock moves to 600
  ch.Push(Rows(u, 2));  // at 600
  ch.Push(Rows(t, 1));  // joins t's batch, which stays as old as its first row
  std::jthread run([&] { EXPECT_OK(w.Run(ch)); });
  EXPECT_EQ(clock.AwaitWaiter(), 1000);
  clock.Advance(400);
  ASSERT_TRUE(dest.WaitForCalls(2));
  EXPECT_EQ(clock.AwaitWaiter(), 1600);  // u's batch: 600 + 1000
  EXPECT_EQ(dest.calls(), (Calls{"write v:5", "write t:4"}));
  clock.Advance(600);
  ASSERT_TRUE(dest.WaitForCalls(3));
  EXPECT_EQ(dest.calls(), (Calls{"write v:5", "write t:4", "write u:2"}));
  ch.Close();
}

TEST(BatchWriterTest, AgedBatchIsFlushedWhileOtherTablesKeepSending) {
  // Messages of u keep coming, so the writer never waits long enough to time out: t's batch must
  // still go out once it is old, not only at the end of the stream.
  FakeDestination dest;
  FakeClock clock;
  WriterOptions o = Options(/*rows=*/4, 1 << 30, /*timeout_us=*/1000);
  o.clock = &clock;
  dest.options.before_write = [&](const std::vector<plugin::TableWrite>& writes) {
    if (writes[0].table->name == "u") clock.Advance(1000);  // u's write takes a while
  };
  BatchWriter w(dest, o);
  Channel<message::Message> ch(100);
  auto t = Table("t"), u = Table("u");
  ch.Push(Rows(t, 1));
  ch.Push(Rows(u, 4));  // full: written, and the clock moves past t's timeout
  ch.Push(Rows(u, 1));
  ch.Close();
  ASSERT_OK(w.Run(ch));
  EXPECT_EQ(dest.calls(), (Calls{"write u:4", "write t:1", "write u:1"}));
}

// Keeps early rows of checkpointed tables for their checkpoint, as the state backend's policy
// does.
class HoldingPolicy final : public CheckpointPolicy {
 public:
  Status OnCheckpoint(const message::Checkpoint&, const FlushFn& flush) override {
    return flush({});
  }
  bool HoldEarlyWrites() const override { return true; }
};

TEST(BatchWriterTest, RowsHeldForTheirCheckpointDoNotWakeTheWriter) {
  // Without transactions, rows of a checkpointed table wait in memory for their checkpoint. Their
  // age must not wake the writer: it would find nothing to do, again and again.
  FakeDestination dest;
  FakeClock clock;
  WriterOptions o = Options(1'000'000, 1 << 30, /*timeout_us=*/1000);
  o.clock = &clock;
  o.checkpoints = std::make_shared<HoldingPolicy>();
  o.checkpointed_tables = {"t"};
  BatchWriter w(dest, o);
  Channel<message::Message> ch(100);
  auto t = Table("t"), u = Table("u");
  std::jthread run([&] { EXPECT_OK(w.Run(ch)); });
  ch.Push(Rows(t, 3));
  ch.Push(Rows(u, 2));  // not checkpointed: its age counts
  EXPECT_EQ(clock.AwaitWaiter(), 1000);
  clock.Advance(1000);
  ASSERT_TRUE(dest.WaitForCalls(1));
  EXPECT_EQ(dest.calls(), Calls{"write u:2"});
  // Only t's held rows are pending now: the writer waits for a message, not for the clock.
  EXPECT_EQ(clock.AwaitWaiter(std::chrono::milliseconds(100)), std::nullopt);
  ch.Push(message::Checkpoint{"t", "3", 1});
  ASSERT_TRUE(dest.WaitForCalls(2));
  EXPECT_EQ(dest.calls(), (Calls{"write u:2", "write t:3"}));
  ch.Close();
}

TEST(BatchWriterTest, DeleteStaleComesAfterPendingRows) {
  FakeDestination dest;
  dest.options.stale_rows = 3;
  BatchWriter w(dest, Options(100));
  Channel<message::Message> ch(100);
  auto t = Table("t"), u = Table("u");
  ch.Push(message::MigrateTable{t});
  ch.Push(message::MigrateTable{u});
  ch.Push(Rows(t, 2));
  ch.Push(Rows(u, 1));
  ch.Push(message::DeleteStale{t, "src", 5});
  ch.Close();
  ASSERT_OK(w.Run(ch));
  // Both tables' pending rows in one transaction, then the deletion.
  EXPECT_EQ(dest.calls(), (Calls{"migrate t u", "write t:2 u:1", "delete_stale t src"}));
  EXPECT_EQ(w.stats().at("t").deleted, 3);
}

TEST(BatchWriterTest, CqIdOnlyMakesCqIdTheKey) {
  FakeDestination dest;
  WriterOptions o = Options(100);
  o.pk_mode = plugin::PkMode::kCqIdOnly;
  BatchWriter w(dest, o);
  Channel<message::Message> ch(10);
  ch.Push(message::MigrateTable{Table("t")});
  ch.Close();
  ASSERT_OK(w.Run(ch));
  EXPECT_EQ(dest.calls(), Calls{"migrate t"});
  EXPECT_EQ(dest.migrated("t")->PrimaryKeys(), std::vector<std::string>{"_cq_id"});
}

TEST(BatchWriterTest, DestinationErrorStopsWritingButKeepsDraining) {
  FakeDestination dest;
  dest.options.fail_on_write = 2;
  dest.options.write_error = Status::IOError("disk full");
  BatchWriter w(dest, Options(4));
  Channel<message::Message> ch(2);  // small: the producer would block if nobody drained
  auto t = Table("t");
  std::jthread producer([&] {
    for (int i = 0; i < 50; ++i) ch.Push(Rows(t, 4));
    ch.Close();
  });
  Status st = w.Run(ch);
  producer.join();
  EXPECT_EQ(st.message(), "disk full");
  EXPECT_EQ(dest.writes(), 2);
  EXPECT_EQ(w.rows_written(), 4);
}

}  // namespace
}  // namespace quarry::writer
