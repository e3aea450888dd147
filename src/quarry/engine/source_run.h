// SourceRun: one source's part of a sync (internal to the engine), in named steps:
//
//   Open        the source's Init; a destination instance (connection) per pair, Init'ed
//   OpenState   the state backend: its lock and the saved cursors (minus --full-refresh ones)
//   Fence       the source's lock in every destination it writes
//   StartWriters  one channel, batch writer and thread per destination (checkpoint policies
//               when there is a backend; a writer of its own for a backend holding no data)
//   RunSource   the source's Sync, its messages fanned out to the channels
//   QueueDeleteStale  delete-stale of every clean, non-incremental table where asked for
//   Drain       closes the channels, joins the writers, and assigns failures
//   Summarize   per-pair counts, and the summary row of send_sync_summary
//   Close       releases locks and closes every plugin
//
// A step that fails records the failure on every pair and the later steps that need it do
// nothing; Summarize and Close always run. Used from one thread (the source's).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "quarry/engine/backend.h"
#include "quarry/engine/engine.h"
#include "quarry/engine/fan_out.h"
#include "quarry/state/checkpoint.h"

namespace quarry::engine {

// What every source's run of one sync shares.
struct RunContext {
  const plugin::PluginRegistry* registry = nullptr;
  Logger* logger = nullptr;
  const SyncOptions* options = nullptr;
  Progress* progress = nullptr;  // may be null
  const std::atomic<bool>* stop = nullptr;
  std::string sync_id;
  int64_t sync_time_us = 0;
  int64_t start_us = 0;
};

class SourceRun {
 public:
  SourceRun(const RunContext& run, PreparedSource& ps);
  SourceRun(const SourceRun&) = delete;
  SourceRun& operator=(const SourceRun&) = delete;

  // Runs every step.
  void Run();

  // After Run: rows fetched and table errors, per-pair summaries, one line per failure.
  int64_t fetched() const;
  int64_t table_errors() const;
  std::vector<PairSummary>& summaries() { return summaries_; }
  std::vector<std::string>& failures() { return failures_; }

 private:
  // One source → destination pair.
  struct Pair {
    const config::DestinationSpec* spec = nullptr;
    std::unique_ptr<plugin::DestinationPlugin> plugin;
    std::unique_ptr<Channel<message::Message>> channel;
    std::unique_ptr<writer::BatchWriter> writer;
    std::unique_ptr<plugin::SyncLock> lock;  // fencing; null where the backend connection holds it
    std::jthread thread;
    Status status;
  };

  bool Open();
  bool OpenState();
  bool Fence();
  void StartWriters();
  Status RunSource(FanOutSink& sink);
  void QueueDeleteStale();
  void Drain(const Status& sync_status);
  void Summarize();
  void Close();

  writer::WriterOptions WriterOptionsFor(size_t i);
  void FailAll(const std::string& why);
  bool has_backend() const { return backend_.state_table != nullptr; }

  const RunContext& run_;
  PreparedSource& ps_;
  const config::SourceSpec& source_;
  Logger& logger_;
  plugin::PluginContext ctx_;
  std::vector<Pair> pairs_;
  std::vector<PairSummary> summaries_;
  std::vector<std::string> failures_;
  BackendRun backend_;
  int backend_index_ = -1;  // the pair that is also the backend, or -1
  state::CheckpointCoordinator coord_;
  SourceCounters counters_;
  std::atomic<bool> aborted_{false};
};

}  // namespace quarry::engine
