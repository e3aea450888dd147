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
  // The state table's name (backend_options.table_name) when the source has a state backend,
  // else empty: the Checkpoint messages are then dropped and incremental tables run in full. A
  // source that lets another process keep its cursors (the CloudQuery-protocol adapter) hands it
  // this name; the cursors still travel as Checkpoint messages.
  std::string state_table;
};

class SourcePlugin {
 public:
  virtual ~SourcePlugin() = default;
  virtual Status Configure(const nlohmann::json& spec) = 0;
  virtual Result<std::vector<schema::TablePtr>> Tables() const = 0;
  virtual Status Init(const PluginContext& ctx) = 0;
  virtual Status Sync(const SyncRequest& request, MessageSink& sink) = 0;
  virtual Status Close() { return Status::OK(); }
};

}  // namespace quarry::plugin
