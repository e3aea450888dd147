// `quarry state show` and `quarry state reset`: the saved cursors of every source with a state
// backend.
#include <fmt/format.h>

#include "quarry/base/glob.h"
#include "quarry/base/time.h"
#include "quarry/engine/backend.h"
#include "quarry/engine/engine.h"
#include "quarry/state/state_store.h"

namespace quarry::engine {

Result<std::vector<StateRow>> Engine::ShowState(Plan& plan) {
  std::vector<StateRow> rows;
  plugin::PluginContext ctx{&logger_};
  for (auto& ps : plan.sources) {
    if (ps.backend == nullptr) continue;
    QUARRY_ASSIGN_OR_RETURN(auto dest,
                            registry_.MakeDestination(ps.backend->registry, ps.backend->path));
    QUARRY_RETURN_NOT_OK(dest->Configure(ps.backend->spec));
    QUARRY_RETURN_NOT_OK(dest->Init(ctx, ps.backend->options()));
    QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table, state::StateTable(ps.state_table));
    QUARRY_ASSIGN_OR_RETURN(auto all, state::ReadAll(*dest, *table));
    for (const auto& [key, e] : state::SourceEntries(all, ps.spec->name)) {
      rows.push_back({ps.spec->name, key, e.value, e.version});
    }
    QUARRY_RETURN_NOT_OK(dest->Close());
  }
  return rows;
}

Result<std::vector<StateRow>> Engine::ResetState(Plan& plan,
                                                 const std::vector<std::string>& patterns) {
  std::vector<StateRow> deleted;
  plugin::PluginContext ctx{&logger_};
  for (auto& ps : plan.sources) {
    if (ps.backend == nullptr) continue;
    BackendRun backend;  // takes the lock: never reset under a running sync
    Status st = OpenBackend(registry_, ps, ctx, &backend);
    if (!st.ok()) return st.WithContext(fmt::format("source {}", ps.spec->name));
    std::vector<state::StateEntry> tombstones;
    for (const auto& [key, e] : backend.entries) {
      const std::string table = key.substr(0, key.find('#'));
      bool match = patterns.empty();
      for (const auto& p : patterns) match = match || GlobMatch(p, table);
      if (!match) continue;
      // An empty value deletes the key; a newer version makes it win, also in append mode. A
      // cursor in CloudQuery's layout goes too, or it would be read again.
      const std::string full = state::FullKey(ps.spec->name, key);
      const auto version = static_cast<uint64_t>(NowMicros());
      tombstones.push_back({full, "", version});
      if (key.find(':') == std::string::npos && backend.all.count(key) > 0)
        tombstones.push_back({key, "", version});
      deleted.push_back({ps.spec->name, key, e.value, 0});
    }
    if (!tombstones.empty()) {
      QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch,
                              state::StateBatch(*backend.state_table, tombstones));
      QUARRY_RETURN_NOT_OK(backend.plugin->Write(*backend.state_table, {batch}));
    }
    backend.lock.reset();
    QUARRY_RETURN_NOT_OK(backend.plugin->Close());
  }
  return deleted;
}

}  // namespace quarry::engine
