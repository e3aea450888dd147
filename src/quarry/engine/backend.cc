#include "quarry/engine/backend.h"

#include "quarry/state/state_store.h"

namespace quarry::engine {

namespace {

bool InIncrementalTree(const std::vector<schema::TablePtr>& tree, std::string_view name,
                       bool inside) {
  for (const auto& t : tree) {
    const bool inc = inside || t->is_incremental;
    if (t->name == name) return inc;
    if (InIncrementalTree(t->relations, name, inc)) return true;
  }
  return false;
}

void CollectCheckpointed(const std::vector<schema::TablePtr>& tree, bool inside,
                         std::set<std::string>* out) {
  for (const auto& t : tree) {
    const bool inc = inside || t->is_incremental;
    if (inc) out->insert(t->name);
    CollectCheckpointed(t->relations, inc, out);
  }
}

}  // namespace

Status OpenBackend(const plugin::PluginRegistry& registry, const PreparedSource& ps,
                   const plugin::PluginContext& ctx, BackendRun* out) {
  QUARRY_ASSIGN_OR_RETURN(out->plugin,
                          registry.MakeDestination(ps.backend->registry, ps.backend->path));
  QUARRY_RETURN_NOT_OK(out->plugin->Configure(ps.backend->spec));
  QUARRY_RETURN_NOT_OK(out->plugin->Init(ctx, ps.backend->options()));
  QUARRY_ASSIGN_OR_RETURN(out->lock, out->plugin->TryLock(SyncLockName(*ps.spec)));
  if (out->lock == nullptr) {
    return Status::Invalid("this destination cannot lock, so it cannot be a state backend");
  }
  QUARRY_ASSIGN_OR_RETURN(out->state_table, state::StateTable(ps.state_table));
  QUARRY_RETURN_NOT_OK(out->plugin->Migrate({out->state_table}));
  QUARRY_ASSIGN_OR_RETURN(out->all, state::ReadAll(*out->plugin, *out->state_table));
  out->entries = state::SourceEntries(out->all, ps.spec->name);
  for (const auto& [key, e] : out->entries) out->saved[key] = e.value;
  return Status::OK();
}

std::string SyncLockName(const config::SourceSpec& source) { return "sync " + source.name; }

bool IsIncrementalTable(const std::vector<schema::TablePtr>& tree, std::string_view name) {
  for (const auto& t : schema::Flatten(tree)) {
    if (t->name == name) return t->is_incremental;
  }
  return false;
}

bool IsIncrementalTree(const std::vector<schema::TablePtr>& tree, std::string_view name) {
  return InIncrementalTree(tree, name, false);
}

std::set<std::string> CheckpointedTables(const std::vector<schema::TablePtr>& tree) {
  std::set<std::string> out;
  CollectCheckpointed(tree, false, &out);
  return out;
}

}  // namespace quarry::engine
