// A source's state backend during a run, and the table-tree questions the checkpoint protocol
// asks (internal to the engine).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "quarry/base/channel.h"
#include "quarry/engine/engine.h"
#include "quarry/message/message.h"
#include "quarry/plugin/destination.h"
#include "quarry/state/state_store.h"
#include "quarry/writer/batch_writer.h"

namespace quarry::engine {

// A source's state backend while a sync (or `quarry state reset`) runs: a connection of its own
// that holds the source's lock (fencing) and read the cursors.
struct BackendRun {
  std::unique_ptr<plugin::DestinationPlugin> plugin;
  std::unique_ptr<plugin::SyncLock> lock;
  schema::TablePtr state_table;
  std::map<std::string, std::string> saved;  // the source's cursors, by its keys
  // The rows they come from, by the source's keys (state::SourceEntries).
  std::map<std::string, state::StateEntry> entries;
  // Every live row of the state table, by stored key.
  std::map<std::string, state::StateEntry> all;
  // Only when the backend holds no data of the source: a writer for the cursors alone.
  std::unique_ptr<Channel<message::Message>> channel;
  std::unique_ptr<writer::BatchWriter> writer;
  std::jthread thread;
  Status status;
};

// Opens the backend of `ps`, takes the source's lock and reads its cursors.
Status OpenBackend(const plugin::PluginRegistry& registry, const PreparedSource& ps,
                   const plugin::PluginContext& ctx, BackendRun* out);

// The lock a sync of a source holds in every destination it writes: two syncs of one source
// into one destination never interleave (one's delete-stale would remove the other's rows).
std::string SyncLockName(const config::SourceSpec& source);

bool IsIncrementalTable(const std::vector<schema::TablePtr>& tree, std::string_view name);
// True when `name` is an incremental table or a descendant of one.
bool IsIncrementalTree(const std::vector<schema::TablePtr>& tree, std::string_view name);
// Names of the incremental tables of `tree` and their descendants: the rows checkpoints cover.
std::set<std::string> CheckpointedTables(const std::vector<schema::TablePtr>& tree);

}  // namespace quarry::engine
