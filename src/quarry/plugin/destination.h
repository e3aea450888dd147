// The interface every destination plugin implements: a few narrow methods; batching, ordering
// and fan-out are done once, by the writer layer.
//
// Life cycle, driven from one writer thread per (source, destination) pair:
//   Configure(spec)   parse and check options; no I/O (also used by `validate-config`)
//   Init(ctx, spec)   connect
//   Migrate(tables)   create or alter tables (safe or forced, per the destination's migrate_mode)
//   Write(table, batches)   store rows durably, all-or-nothing (one transaction); insert or
//                     upsert according to write_mode
//   DeleteStale(...)  delete the source's rows older than the sync
//   Close()
// A DestinationPlugin object is not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "quarry/config/spec.h"
#include "quarry/plugin/source.h"
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
  virtual Status Configure(const nlohmann::json& spec) = 0;
  virtual BatchOptions batch_options() const = 0;
  // `dest` carries write_mode, migrate_mode, pk_mode.
  virtual Status Init(const PluginContext& ctx, const config::DestinationSpec& dest) = 0;
  // Tables come flattened, parents before children, with the _cq_* columns.
  virtual Status Migrate(const std::vector<schema::TablePtr>& tables) = 0;
  // REQUIRES: every batch's schema is table.arrow_schema; Migrate saw the table.
  virtual Status Write(const schema::Table& table,
                       const std::vector<types::RecordBatchPtr>& batches) = 0;
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
  // Several tables' rows in one transaction where the destination has transactions: all of them
  // land or none. The writer uses it to commit rows together with the state (cursor) rows that
  // cover them. The default writes table by table (for destinations without transactions).
  virtual Status WriteAll(const std::vector<TableWrite>& writes) {
    for (const auto& w : writes) QUARRY_RETURN_NOT_OK(Write(*w.table, *w.batches));
    return Status::OK();
  }
  // Reads every row of a table (e.g. the state table). REQUIRES: Init. Calls `fn` per batch;
  // a table that does not exist yields no batch.
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
  // Returns the number of rows deleted.
  virtual Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                                      int64_t sync_time_us) = 0;
  virtual Status Close() { return Status::OK(); }
};

}  // namespace quarry::plugin
