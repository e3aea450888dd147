#include "quarry/writer/batch_writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "quarry/types/json.h"

namespace quarry::writer {
namespace {

// A destination that records what it is asked to do, and can fail on the Nth write.
class RecordingDestination : public plugin::DestinationPlugin {
 public:
  Status Configure(const nlohmann::json&) override { return Status::OK(); }
  Status Init(const plugin::PluginContext&, const plugin::DestinationOptions&) override {
    return Status::OK();
  }
  Status Migrate(const std::vector<schema::TablePtr>& tables) override {
    std::lock_guard lock(mu);
    std::string s = "migrate";
    for (auto& t : tables) s += " " + t->name + "(pk:" + t->PrimaryKeys()[0] + ")";
    log.push_back(s);
    return Status::OK();
  }
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    std::lock_guard lock(mu);
    ++writes;
    if (writes == fail_on_write) return Status::IOError("disk full");
    int64_t rows = 0;
    for (auto& b : batches) rows += b->num_rows();
    log.push_back(fmt::format("write {} {}", table.name, rows));
    cv.notify_all();
    return Status::OK();
  }
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source,
                              int64_t) override {
    std::lock_guard lock(mu);
    log.push_back(fmt::format("delete {} {}", table.name, source));
    return int64_t{3};
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> log;
  int writes = 0;
  int fail_on_write = -1;
};

schema::TablePtr Table(const std::string& name) {
  schema::Table t{name, "", "", {{"id", types::int64(), "", true}}};
  return schema::WithCqColumns(**schema::Finalize(t));
}

message::Insert Rows(const schema::TablePtr& t, int n) {
  std::string json = "[";
  for (int i = 0; i < n; ++i) {
    json += fmt::format("{}{{\"_cq_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"id\":{}}}",
                        i ? "," : "", i);
  }
  json += "]";
  auto batch = types::BatchFromJson(t->arrow_schema, json);
  EXPECT_TRUE(batch.ok()) << batch.status().message();
  return {t, *batch};
}

WriterOptions Options(int64_t rows, int64_t bytes = 1 << 30, int64_t timeout_us = 3'600'000'000) {
  WriterOptions o;
  o.batch = {rows, bytes, timeout_us};
  return o;
}

TEST(BatchWriterTest, FlushesWhenRowLimitReached) {
  RecordingDestination dest;
  BatchWriter w(dest, Options(10));
  Channel<message::Message> ch(100);
  auto t = Table("t");
  ch.Push(message::MigrateTable{t});
  for (int i = 0; i < 5; ++i) ch.Push(Rows(t, 4));
  ch.Close();
  ASSERT_TRUE(w.Run(ch).ok());
  EXPECT_EQ(dest.log, (std::vector<std::string>{"migrate t(pk:id)", "write t 12", "write t 8"}));
  EXPECT_EQ(w.stats().at("t").rows, 20);
  EXPECT_EQ(w.rows_written(), 20);
}

TEST(BatchWriterTest, FlushesWhenByteLimitReached) {
  RecordingDestination dest;
  const int64_t one_record = Rows(Table("t"), 4).batch->size_bytes();
  BatchWriter w(dest, Options(1'000'000, one_record * 2));
  Channel<message::Message> ch(100);
  auto t = Table("t");
  for (int i = 0; i < 3; ++i) ch.Push(Rows(t, 4));
  ch.Close();
  ASSERT_TRUE(w.Run(ch).ok());
  EXPECT_EQ(dest.log, (std::vector<std::string>{"write t 8", "write t 4"}));
}

TEST(BatchWriterTest, FlushesWhenBatchTimeoutExpiresWhileTheStreamIsOpen) {
  RecordingDestination dest;
  BatchWriter w(dest, Options(1'000'000, 1 << 30, /*timeout_us=*/1000));
  Channel<message::Message> ch(100);
  auto t = Table("t");
  std::jthread run([&] { EXPECT_TRUE(w.Run(ch).ok()); });
  ch.Push(Rows(t, 3));
  {
    // The write must come from the timeout: the stream is still open.
    std::unique_lock lock(dest.mu);
    ASSERT_TRUE(dest.cv.wait_for(lock, std::chrono::seconds(30), [&] { return dest.writes == 1; }));
  }
  ch.Close();
  run.join();
  EXPECT_EQ(dest.log, (std::vector<std::string>{"write t 3"}));
}

TEST(BatchWriterTest, DeleteStaleComesAfterPendingRows) {
  RecordingDestination dest;
  BatchWriter w(dest, Options(100));
  Channel<message::Message> ch(100);
  auto t = Table("t"), u = Table("u");
  ch.Push(message::MigrateTable{t});
  ch.Push(message::MigrateTable{u});
  ch.Push(Rows(t, 2));
  ch.Push(Rows(u, 1));
  ch.Push(message::DeleteStale{t, "src", 5});
  ch.Close();
  ASSERT_TRUE(w.Run(ch).ok());
  EXPECT_EQ(dest.log, (std::vector<std::string>{"migrate t(pk:id) u(pk:id)", "write t 2",
                                                "write u 1", "delete t src"}));
  EXPECT_EQ(w.stats().at("t").deleted, 3);
}

TEST(BatchWriterTest, CqIdOnlyMakesCqIdTheKey) {
  RecordingDestination dest;
  WriterOptions o = Options(100);
  o.pk_mode = plugin::PkMode::kCqIdOnly;
  BatchWriter w(dest, o);
  Channel<message::Message> ch(10);
  ch.Push(message::MigrateTable{Table("t")});
  ch.Close();
  ASSERT_TRUE(w.Run(ch).ok());
  EXPECT_EQ(dest.log, (std::vector<std::string>{"migrate t(pk:_cq_id)"}));
}

TEST(BatchWriterTest, DestinationErrorStopsWritingButKeepsDraining) {
  RecordingDestination dest;
  dest.fail_on_write = 2;
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
  EXPECT_EQ(dest.writes, 2);
  EXPECT_EQ(w.rows_written(), 4);
}

}  // namespace
}  // namespace quarry::writer
