// BatchWriter: the one place where rows are batched for a destination — CloudQuery's
// batchwriter. It consumes a source's messages in order and calls the destination's narrow
// methods: Migrate for runs of MigrateTable messages, Write per table when a table's pending rows
// reach batch_size rows or batch_size_bytes bytes or its oldest pending row is batch_timeout old,
// DeleteStale after flushing. At the end of the stream everything pending is flushed.
//
// Memory: at most one table's batch limits plus one incoming record per table are pending.
//
// Thread-safety: Run() is called on one thread (the writer thread of a source→destination pair);
// rows_written() may be read from any thread while it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "quarry/base/channel.h"
#include "quarry/config/spec.h"
#include "quarry/message/message.h"
#include "quarry/plugin/destination.h"

namespace quarry::writer {

struct TableWriteStats {
  int64_t rows = 0;     // rows durably written
  int64_t deleted = 0;  // stale rows deleted
};

// Writes every pending row, plus `extra` rows, in one WriteAll (one transaction).
using FlushFn = std::function<Status(const std::vector<plugin::TableWrite>& extra)>;
// What a Checkpoint message does. It must call `flush` once (the checkpoint is a barrier: every
// row before it is written by then), possibly with the state rows to commit in the same
// transaction, and may wait for other destinations first.
using CheckpointHook = std::function<Status(const message::Checkpoint&, const FlushFn& flush)>;

struct WriterOptions {
  plugin::BatchOptions batch;
  config::PkMode pk_mode = config::PkMode::kDefault;
  bool migrate = true;  // false: --no-migrate (tables must exist)
  // Tables of the writer's own (the state table), created even with --no-migrate, as they are.
  std::vector<schema::TablePtr> own_tables;
  CheckpointHook on_checkpoint;  // empty: a checkpoint just flushes
};

class BatchWriter {
 public:
  BatchWriter(plugin::DestinationPlugin& destination, WriterOptions options);

  // Consumes `in` until it is closed and drained. On a destination error it stops writing, keeps
  // draining `in` (so producers never block) and returns that error; nothing of the failed
  // flush is reported as written.
  Status Run(Channel<message::Message>& in);

  int64_t rows_written() const { return rows_written_.load(std::memory_order_relaxed); }
  // REQUIRES: Run() has returned.
  const std::map<std::string, TableWriteStats>& stats() const { return stats_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    schema::TablePtr table;  // as the destination sees it
    std::vector<types::RecordBatchPtr> batches;
    int64_t rows = 0;
    int64_t bytes = 0;
    Clock::time_point first;
  };

  Status Handle(message::Message& msg);
  Status ApplyMigrations();
  Status Flush(Pending& p);
  Status FlushAll(const std::vector<plugin::TableWrite>& extra = {});
  Status FlushExpired(Clock::time_point now);
  schema::TablePtr DestinationTable(const schema::TablePtr& table);

  plugin::DestinationPlugin& dest_;
  WriterOptions options_;
  std::vector<schema::TablePtr> migrations_;
  std::map<std::string, schema::TablePtr> tables_;  // by name, as the destination sees them
  std::map<std::string, Pending> pending_;
  std::map<std::string, TableWriteStats> stats_;
  std::atomic<int64_t> rows_written_{0};
};

}  // namespace quarry::writer
