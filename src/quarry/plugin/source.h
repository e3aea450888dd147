// The interface every source plugin implements.
//
// Life cycle, driven by the engine from one thread:
//   Configure(spec)  parse and check options; no I/O (also used by `validate-config`)
//   Tables()         the plugin's table tree (may depend on the options)
//   Init(ctx)        connect / check the environment
//   Sync(request, sink)  send MigrateTable and Insert (and TableError) messages for the
//                    requested tables; returns when done. May use threads internally; `sink`
//                    is thread-safe.
//   Close()
// A SourcePlugin object is not thread-safe; the engine never calls it concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/message/message.h"
#include "quarry/plugin/context.h"
#include "quarry/schema/table.h"

// Only for SyncRequest::backend (the own-state exception, to be removed); the plugin layer
// otherwise knows nothing of the config layer.
namespace quarry::config {
struct DestinationSpec;
}

namespace quarry::plugin {

// Where a source sends its messages. Thread-safe. Send blocks while destinations are busy
// (back-pressure) and returns a Cancelled status once the run is being aborted: the source
// should then stop and return.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual Status Send(message::Message msg) = 0;
};

struct SyncRequest {
  std::vector<schema::TablePtr> tables;  // the selected tree, with the _cq_* columns
  std::string source_name;
  int64_t sync_time_us = 0;
  bool deterministic_cq_id = false;
  // Saved cursors of this source by key, as its earlier Checkpoint messages set them. Empty
  // without a state backend (incremental tables are then synced in full) and, for the tables
  // concerned, on --full-refresh. An incremental table starts after state[key] when present.
  std::map<std::string, std::string> state;
  // For a source that keeps its own state (SourcePlugin::keeps_own_state) and has
  // backend_options: the destination that stores it and the state table's name. The engine then
  // reads and writes no cursors for this source; `state` stays empty.
  const config::DestinationSpec* backend = nullptr;
  std::string backend_table;
};

class SourcePlugin {
 public:
  virtual ~SourcePlugin() = default;
  virtual Status Configure(const nlohmann::json& spec) = 0;
  virtual Result<std::vector<schema::TablePtr>> Tables() const = 0;
  virtual Status Init(const PluginContext& ctx) = 0;
  virtual Status Sync(const SyncRequest& request, MessageSink& sink) = 0;
  // True for sources that read and write their cursors themselves, through a connection to the
  // backend destination (CloudQuery-protocol plugins).
  virtual bool keeps_own_state() const { return false; }
  // Called after Sync once every destination has durably written every row of the sync (never
  // when the sync or a destination failed): a source that keeps its own state saves the cursors
  // it held back until then, so a cursor never runs ahead of the rows it covers.
  virtual Status CommitState() { return Status::OK(); }
  virtual Status Close() { return Status::OK(); }
};

}  // namespace quarry::plugin
