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
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "quarry/base/channel.h"
#include "quarry/base/clock.h"
#include "quarry/message/message.h"
#include "quarry/plugin/destination.h"

namespace quarry::writer {

struct TableWriteStats {
  int64_t rows = 0;     // rows durably written
  int64_t deleted = 0;  // stale rows deleted
};

// Writes every pending row, plus `extra` rows, in one WriteAll (one transaction), and commits
// whatever the writer had written into an open transaction before.
using FlushFn = std::function<Status(const std::vector<plugin::TableWrite>& extra)>;

// What a writer does at the checkpoints of a source that has a state backend; state/checkpoint.h
// has the two policies (a destination that holds data, the backend). Called on the writer's
// thread.
class CheckpointPolicy {
 public:
  virtual ~CheckpointPolicy() = default;
  // A Checkpoint message. Must call `flush` once (the checkpoint is a barrier: every row before
  // it is written by then), possibly with the state rows to commit in the same transaction, and
  // may wait for other destinations first.
  virtual Status OnCheckpoint(const message::Checkpoint& cp, const FlushFn& flush) = 0;
  // Rows of a checkpointed table are about to be written before the checkpoint that covers them
  // (their batch filled up or aged). May wait; an error stops the writer.
  virtual Status BeforeEarlyWrite() { return Status::OK(); }
  // True: such rows must not commit before that checkpoint. The writer then writes them into an
  // open transaction that the checkpoint's flush commits, or — when the destination has no
  // transactions — keeps them pending until the checkpoint.
  virtual bool HoldEarlyWrites() const { return false; }
};

struct WriterOptions {
  plugin::BatchOptions batch;
  plugin::PkMode pk_mode = plugin::PkMode::kDefault;
  bool migrate = true;  // false: --no-migrate (tables must exist)
  // Tables of the writer's own (the state table), created even with --no-migrate, as they are.
  std::vector<schema::TablePtr> own_tables;
  std::shared_ptr<CheckpointPolicy> checkpoints;  // null: a checkpoint just flushes
  // Tables whose rows checkpoints cover (incremental tables and their descendants): the policy
  // decides when their rows may be written between checkpoints.
  std::set<std::string> checkpointed_tables;
  // Times the age of pending rows (batch_timeout). Must outlive the writer.
  const Clock* clock = &RealClock();
};

class BatchWriter {
 public:
  BatchWriter(plugin::DestinationPlugin& destination, WriterOptions options);

  // Consumes `in` until it is closed and drained. On a destination error it stops writing, keeps
  // draining `in` (so producers never block) and returns that error; nothing of the failed
  // flush is reported as written.
  Status Run(Channel<message::Message>& in);

  // The source did not finish (it failed or was stopped): at the end of the stream, rows of
  // checkpointed tables that no checkpoint covered (pending, or held in an open transaction)
  // are discarded instead of committed — the next run fetches them again, so committing them
  // would duplicate them in append mode. Thread-safe; call before closing the channel.
  void AbandonUncovered() { abandon_uncovered_ = true; }

  int64_t rows_written() const { return rows_written_.load(std::memory_order_relaxed); }
  // REQUIRES: Run() has returned.
  const std::map<std::string, TableWriteStats>& stats() const { return stats_; }

 private:
  struct Pending {
    schema::TablePtr table;  // as the destination sees it
    std::vector<types::RecordBatchPtr> batches;
    int64_t rows = 0;
    int64_t bytes = 0;
    int64_t first_us = 0;  // when its oldest row arrived, on options_.clock
  };

  Status Handle(message::Message& msg);
  Status ApplyMigrations();
  // The policy keeps early rows of this checkpointed table in memory until their checkpoint
  // (there is no transaction to write them into).
  bool HeldUntilCheckpoint(const Pending& p) const;
  // A table's batch is full or old: write it now, unless the checkpoint policy says otherwise.
  Status FlushEarly(Pending& p);
  Status Flush(Pending& p);
  // Commits (or discards) the open transaction and with it the rows written into it.
  Status CommitOpen();
  void RollbackOpen();
  void Count(const std::string& table, int64_t rows);
  Status FlushAll(const std::vector<plugin::TableWrite>& extra = {});
  Status FlushExpired(int64_t now_us);
  schema::TablePtr DestinationTable(const schema::TablePtr& table);

  plugin::DestinationPlugin& dest_;
  WriterOptions options_;
  std::vector<schema::TablePtr> migrations_;
  std::map<std::string, schema::TablePtr> tables_;  // by name, as the destination sees them
  std::map<std::string, Pending> pending_;
  std::map<std::string, TableWriteStats> stats_;
  bool in_transaction_ = false;  // rows written since are not durable until CommitOpen
  std::map<std::string, int64_t> uncommitted_;  // rows by table written into it
  std::atomic<int64_t> rows_written_{0};
  std::atomic<bool> abandon_uncovered_{false};
};

}  // namespace quarry::writer
