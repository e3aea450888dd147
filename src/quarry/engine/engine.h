// Engine: one run of `quarry sync` (or `migrate`, `tables`) over a loaded Config.
//
//   Prepare()  resolves every plugin, checks every plugin's options and every table pattern —
//              all before touching any destination. Its errors are configuration errors (exit 2)
//              and name file, line and key.
//   Sync()     runs every source concurrently. Each source streams its messages to one bounded
//              channel per destination; a writer thread per (source, destination) pair batches
//              them into that destination (a connection of its own). When a source finished,
//              tables that completed without errors get their stale rows deleted
//              (overwrite-delete-stale). A destination failure aborts that source's sync.
//
// Engine is used from one thread; it starts and joins its own threads. Progress may be read
// from another thread while Sync runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "quarry/base/log.h"
#include "quarry/config/spec.h"
#include "quarry/plugin/registry.h"
#include "quarry/schema/table.h"

namespace quarry::engine {

// A source ready to run: its configured plugin and its selected tables (with _cq_* columns).
struct PreparedSource {
  const config::SourceSpec* spec = nullptr;
  std::unique_ptr<plugin::SourcePlugin> plugin;
  std::vector<schema::TablePtr> tables;  // selected tree
  std::vector<const config::DestinationSpec*> destinations;
  // The state backend (backend_options), or null: incremental tables are then synced in full.
  const config::DestinationSpec* backend = nullptr;
  std::string state_table;  // backend_options.table_name
};

struct Plan {
  const config::Config* config = nullptr;
  std::vector<PreparedSource> sources;
};

struct TableSummary {
  int64_t rows = 0;     // rows fetched from the source
  int64_t written = 0;  // rows durably written to this destination
  int64_t errors = 0;
  int64_t deleted = 0;
  int64_t duration_ms = 0;
};

// One source → destination pair: the record CloudQuery writes with --summary-location.
struct PairSummary {
  std::string source_name, source_path, source_version;
  std::string destination_name, destination_path, destination_version;
  std::string write_mode;
  std::string sync_group_id;
  std::vector<std::string> source_tables;
  int64_t resources = 0;  // rows written to this destination
  int64_t source_errors = 0, source_warnings = 0;
  int64_t destination_errors = 0, destination_warnings = 0;
  std::map<std::string, TableSummary> tables;
  std::string error;  // why this pair failed, empty when it did not
};

struct SyncResult {
  std::string sync_id;
  int64_t sync_time_us = 0;
  int64_t duration_us = 0;
  int64_t resources = 0;  // rows fetched from all sources
  int64_t errors = 0;     // table errors plus failed source/destination pairs
  int64_t warnings = 0;
  std::vector<PairSummary> pairs;
  std::vector<std::string> failures;  // one line per failed pair or source
  bool interrupted = false;           // Stop() was called while the sync ran
  bool ok() const { return errors == 0 && !interrupted; }
};

// Live counters for a progress line. Thread-safe.
class Progress {
 public:
  void AddRows(std::string_view table, int64_t n);
  int64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  // Tables that received rows in the last `window_us`, most recent first, at most `max`.
  std::vector<std::string> ActiveTables(int64_t window_us, size_t max) const;

 private:
  std::atomic<int64_t> rows_{0};
  mutable std::mutex mu_;
  std::map<std::string, int64_t, std::less<>> last_seen_us_;
};

struct SyncOptions {
  bool migrate = true;  // false: --no-migrate
  // --full-refresh: incremental tables matching these patterns (all when empty) start from
  // scratch; their cursors then go on from there.
  bool full_refresh = false;
  std::vector<std::string> refresh_tables;
};

// One saved cursor, for `quarry state show`.
struct StateRow {
  std::string source;
  std::string key;
  std::string value;
  uint64_t version = 0;
};

class Engine {
 public:
  // Warnings and plugin errors logged from here on count in the run's totals (plugins start
  // talking in Prepare, before Sync).
  Engine(const plugin::PluginRegistry& registry, Logger& logger)
      : registry_(registry),
        logger_(logger),
        warnings_before_(logger.warnings()),
        external_errors_before_(logger.external_errors()) {}

  Result<Plan> Prepare(const config::Config& config);
  // Fails only when the run could not start; everything else is in the result.
  SyncResult Sync(Plan& plan, const SyncOptions& options, Progress* progress);
  // Asks a running Sync to stop (SIGINT/SIGTERM): sources stop at their next message, what is in
  // flight is committed (rows of full tables) or discarded (rows no saved cursor covers), no
  // stale rows are deleted, locks are released, and Sync returns with `interrupted` set.
  // Thread-safe; may be called from any thread, also before Sync starts.
  void Stop() { stop_.store(true); }

  // Creates or alters the destination tables of every source; no rows move.
  Status Migrate(Plan& plan);
  // The saved cursors of every source that has a state backend.
  Result<std::vector<StateRow>> ShowState(Plan& plan);
  // Deletes the cursors of tables matching `patterns` (all when empty); returns them.
  Result<std::vector<StateRow>> ResetState(Plan& plan, const std::vector<std::string>& patterns);

 private:
  const plugin::PluginRegistry& registry_;
  Logger& logger_;
  int64_t warnings_before_;
  int64_t external_errors_before_;
  std::atomic<bool> stop_{false};
};

// `--summary-location`: one JSON object per pair, CloudQuery's fields plus per-table rows,
// errors and deleted counts.
std::string SummaryJson(const SyncResult& result, const PairSummary& pair);

}  // namespace quarry::engine
