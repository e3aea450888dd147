// DestinationPlugin: the interface every destination plugin implements. Batching, ordering,
// fan-out and the checkpoint protocol are done once, by the writer and state layers; a
// destination only stores what it is handed.
//
// A new destination implements the five required methods:
//   Configure(spec)          parse and check its `spec:` options; no I/O (also `validate-config`)
//   Init(ctx, options)       connect; remember write_mode, migrate_mode and pk_mode
//   Migrate(tables)          create or alter tables, safe or forced per migrate_mode
//   Write(table, batches)    store rows durably, all-or-nothing; insert or upsert per write_mode
//   DeleteStale(table, ...)  delete the source's rows older than the sync
// and overrides the rest only for what it can do:
//   batch_options(), Close()               when its batch sizes are configurable (the default is
//                                          BatchOptions{}) or it holds resources (default: none)
//   CheckValues(...)                       when some values cannot be stored as they are (the
//                                          default accepts everything)
//   WriteAll, has_transactions, Begin/Commit/RollbackTransaction
//                                          when it has transactions (the defaults write table by
//                                          table and report no transactions)
//   Read, TryLock                          to be usable as a state backend (the defaults cannot
//                                          read and do not lock)
//
// Life cycle, driven from one writer thread per (source, destination) pair: Configure, Init,
// Migrate, then Write/WriteAll and DeleteStale in the order the writer keeps, then Close.
// A DestinationPlugin object is not thread-safe, except CheckValues (see there).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "quarry/plugin/context.h"
#include "quarry/plugin/options.h"
#include "quarry/plugin/spec_reader.h"
#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::plugin {

// When the writer flushes a table's pending rows.
struct BatchOptions {
  int64_t batch_size = 10'000;                  // rows
  int64_t batch_size_bytes = 10 * 1024 * 1024;  // bytes of column data
  int64_t batch_timeout_us = 20'000'000;        // age of the oldest pending row
};

// Reads batch_size, batch_size_bytes and batch_timeout from a destination's spec.
BatchOptions ReadBatchOptions(SpecReader& reader, BatchOptions defaults);

// Rows for one table inside a WriteAll call.
struct TableWrite {
  const schema::Table* table;
  const std::vector<types::RecordBatchPtr>* batches;
};

// Held while a sync of one source runs against a state backend (fencing); releasing it (or the
// process dying) lets the next sync in.
class SyncLock {
 public:
  virtual ~SyncLock() = default;
};

class DestinationPlugin {
 public:
  virtual ~DestinationPlugin() = default;

  // ---- Required: every destination implements these. ----

  // Parses and checks the destination's own `spec:` options. No I/O. Errors start with the
  // dotted key path ("spec.batch_size: ..."), as SpecReader writes them, so that the config layer
  // can name the file and line.
  virtual Status Configure(const nlohmann::json& spec) = 0;
  // Connects. REQUIRES: Configure succeeded. `options` says how to write (write_mode), migrate
  // (migrate_mode) and key (pk_mode) every table.
  virtual Status Init(const PluginContext& ctx, const DestinationOptions& options) = 0;
  // Creates or alters tables so that Write can store rows of their schema. Tables come
  // flattened, parents before children, with the _cq_* columns. MigrateMode::kSafe applies only
  // additive, lossless changes and otherwise refuses, listing per table the changes it would
  // need; kForced drops and recreates a table that needs an unsafe change.
  virtual Status Migrate(const std::vector<schema::TablePtr>& tables) = 0;
  // Stores rows durably and all-or-nothing (one transaction, or the open one after
  // BeginTransaction): inserts for WriteMode::kAppend, upserts by primary key otherwise.
  // REQUIRES: every batch's schema is table.arrow_schema; Migrate saw the table.
  virtual Status Write(const schema::Table& table,
                       const std::vector<types::RecordBatchPtr>& batches) = 0;
  // Deletes the rows of `table` that `source_name` wrote before `sync_time_us` (by
  // _cq_source_name and _cq_sync_time). Returns the number of rows deleted.
  virtual Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                                      int64_t sync_time_us) = 0;

  // ---- Optional: batching and resources. ----

  // When the writer flushes a table's pending rows. REQUIRES: Configure. The default is
  // BatchOptions{}; destinations whose spec takes batch_size, batch_size_bytes and batch_timeout
  // return what ReadBatchOptions read.
  virtual BatchOptions batch_options() const { return BatchOptions{}; }
  // Releases what Init acquired; an open transaction is discarded. The default does nothing.
  virtual Status Close() { return Status::OK(); }

  // ---- Optional: value checks. ----

  // Checks that every value of `batch` can be stored as it is: an InvalidArgument error naming
  // the column and row of the first that cannot (e.g. a NUL byte where text cannot hold one).
  // The engine then fails that table for this sync and writes nothing more of it anywhere; a
  // value is never altered to fit. Called before Write, from the source's threads, concurrently
  // with this object's other methods: it must read only its arguments and the options set by
  // Configure/Init. The default accepts everything.
  virtual Status CheckValues(const schema::Table& table, const types::RecordBatch& batch,
                             int64_t first_row) const {
    return Status::OK();
  }

  // ---- Optional: transactions (override all of these, or none). ----

  // Several tables' rows in one transaction: all of them land or none. The writer uses it to
  // commit rows together with the state (cursor) rows that cover them. The default writes table
  // by table (for destinations without transactions).
  virtual Status WriteAll(const std::vector<TableWrite>& writes) {
    for (const auto& w : writes) QUARRY_RETURN_NOT_OK(Write(*w.table, *w.batches));
    return Status::OK();
  }
  // An open transaction across writes, for the writer of a state backend: after
  // BeginTransaction, Write and WriteAll join one transaction that CommitTransaction commits and
  // RollbackTransaction (or Close, or the process dying) discards. Rows written early because a
  // batch filled up then commit only with the cursor that covers them. Destinations without
  // transactions keep the defaults (has_transactions() false; the writer then holds such rows
  // in memory until the checkpoint instead).
  virtual bool has_transactions() const { return false; }
  virtual Status BeginTransaction() {
    return Status::Internal("this destination has no transactions");
  }
  virtual Status CommitTransaction() {
    return Status::Internal("this destination has no transactions");
  }
  virtual void RollbackTransaction() {}

  // ---- Optional: state backend (override both to hold a source's cursors and fence syncs). ----

  // Reads every row of a table (e.g. the state table). REQUIRES: Init. Calls `fn` per batch;
  // a table that does not exist yields no batch. The default refuses.
  virtual Status Read(const schema::Table& table,
                      const std::function<Status(types::RecordBatchPtr)>& fn) {
    return Status::Invalid("this destination cannot be read, so it cannot be a state backend");
  }
  // Takes the lock named `name` without waiting, for fencing: a sync holds "sync <source>" in
  // every destination it writes (and in its state backend) for its whole run. Returns an error
  // saying who holds it when another sync does, and null when the destination cannot lock (it
  // then cannot be a state backend, and syncs into it are not fenced). REQUIRES: Init.
  virtual Result<std::unique_ptr<SyncLock>> TryLock(std::string_view name) {
    return std::unique_ptr<SyncLock>();
  }
};

}  // namespace quarry::plugin
