// The scheduler (RunResolvers): runs a source's table resolvers with bounded concurrency and turns
// the rows they produce into MigrateTable and Insert messages — the machinery CloudQuery's SDK
// scheduler provides to its plugins.
//
// A resolver fills rows of one table through a RowWriter. Top-level tables are resolved once per
// client; a child table is resolved once per row of its parent, with that row as context. The
// scheduler fills the `_cq_*` columns (random or deterministic `_cq_id`, `_cq_parent_id`,
// `_cq_source_name`, `_cq_sync_time`) column-wise when a record is finished.
//
// A resolver error becomes a TableError message for its table; other tables go on.
// RunResolvers is called from one thread and starts its own workers; resolvers run on worker
// threads, at most `concurrency` at a time, and must be thread-safe with respect to each other.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "quarry/base/status.h"
#include "quarry/plugin/source.h"
#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::scheduler {

// One row of a parent table, given to child resolvers.
class ParentRow {
 public:
  ParentRow(const schema::Table& table, const types::RecordBatch& batch, int64_t row)
      : table_(table), batch_(batch), row_(row) {}
  const schema::Table& table() const { return table_; }
  int64_t row() const { return row_; }
  // REQUIRES: the parent table has a column of that name.
  const types::Array& column(std::string_view name) const;

 private:
  const schema::Table& table_;
  const types::RecordBatch& batch_;
  int64_t row_;
};

struct ResolveContext {
  int client = 0;                     // 0 … num_clients-1
  const ParentRow* parent = nullptr;  // set for child tables
};

// Appends rows of one table. Column indexes count the table's own columns only (the `_cq_*`
// columns are the scheduler's): column(0) is the first column the plugin declared.
// Not thread-safe: one RowWriter per resolver call.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual types::ArrayBuilder& column(int i) = 0;
  // Ends the current row (every column must have received one value). May block on
  // back-pressure; returns Cancelled when the sync is being aborted.
  virtual Status EndRow() = 0;
  // Sends the rows ended so far, then a Checkpoint proposing `value` for state `key`: the cursor
  // that covers them. (Child rows of those rows are resolved before the checkpoint is sent.)
  virtual Status Checkpoint(std::string key, std::string value) = 0;
};

using Resolver = std::function<Status(const ResolveContext& ctx, RowWriter& out)>;

struct SchedulerOptions {
  int concurrency = 8;  // resolver threads at most
  int num_clients = 1;
  int64_t rows_per_record = 1024;  // rows per Insert message at most
  // Bytes of column data per Insert message at most (a record ends early when its rows reach
  // it; a single larger row makes a record of its own). With the channel depth, this bounds what
  // large rows can hold in memory between source and destination.
  int64_t bytes_per_record = 4 << 20;
};

// Sends MigrateTable for every requested table (parents first), then resolves them.
// `resolvers` maps every table name in request.tables (and their children) to its resolver.
// Returns an error only when the sync cannot go on (the sink was cancelled or a batch could not
// be built); resolver failures are reported as TableError messages.
Status RunResolvers(const plugin::SyncRequest& request,
                    const std::map<std::string, Resolver>& resolvers,
                    const SchedulerOptions& options, plugin::MessageSink& sink);

}  // namespace quarry::scheduler
