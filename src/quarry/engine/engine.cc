#include "quarry/engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "quarry/base/time.h"
#include "quarry/base/uuid.h"
#include "quarry/engine/source_run.h"

namespace quarry::engine {

void Progress::AddRows(std::string_view table, int64_t n) {
  rows_.fetch_add(n, std::memory_order_relaxed);
  const int64_t now = NowMicros();
  std::lock_guard lock(mu_);
  auto it = last_seen_us_.find(table);
  if (it == last_seen_us_.end()) {
    last_seen_us_.emplace(std::string(table), now);
  } else {
    it->second = now;
  }
}

std::vector<std::string> Progress::ActiveTables(int64_t window_us, size_t max) const {
  const int64_t now = NowMicros();
  std::vector<std::pair<int64_t, std::string>> recent;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, t] : last_seen_us_) {
      if (now - t <= window_us) recent.emplace_back(t, name);
    }
  }
  std::sort(recent.rbegin(), recent.rend());
  std::vector<std::string> out;
  for (size_t i = 0; i < recent.size() && i < max; ++i) out.push_back(recent[i].second);
  return out;
}

Result<Plan> Engine::Prepare(const config::Config& config) {
  Plan plan;
  plan.config = &config;
  for (const auto& d : config.destinations) {
    auto dest = registry_.MakeDestination(d.registry, d.path);
    if (!dest.ok()) return d.LocateError(dest.status());
    QUARRY_RETURN_NOT_OK(d.LocateError((*dest)->Configure(d.spec)));
  }
  for (const auto& s : config.sources) {
    PreparedSource ps;
    ps.spec = &s;
    auto src = registry_.MakeSource(s.registry, s.path);
    if (!src.ok()) return s.LocateError(src.status());
    ps.plugin = src.MoveValue();
    QUARRY_RETURN_NOT_OK(s.LocateError(ps.plugin->Configure(s.spec)));
    auto tree = ps.plugin->Tables();
    if (!tree.ok()) return s.LocateError(tree.status());
    auto selected = schema::SelectTables(*tree, {s.tables, s.skip_tables, s.skip_dependent_tables});
    if (!selected.ok()) return s.LocateError(Status::Invalid(selected.status().message()));
    for (const auto& t : *selected) ps.tables.push_back(schema::WithCqColumns(*t));
    for (const auto& name : s.destinations) {
      const config::DestinationSpec* d = config.FindDestination(name);
      if (d == nullptr) {
        return s.ErrorAt("destinations", fmt::format("unknown destination \"{}\"", name));
      }
      ps.destinations.push_back(d);
    }
    if (s.backend_options) {
      const std::string& conn = s.backend_options->connection;
      const std::string prefix = "@@plugins.", suffix = ".connection";
      const config::DestinationSpec* backend = nullptr;
      if (conn.starts_with(prefix) && conn.ends_with(suffix) &&
          conn.size() > prefix.size() + suffix.size()) {
        backend = config.FindDestination(
            conn.substr(prefix.size(), conn.size() - prefix.size() - suffix.size()));
      }
      if (backend == nullptr) {
        return s.ErrorAt("backend_options.connection",
                         fmt::format("\"{}\" must name a configured destination as "
                                     "\"@@plugins.<destination>.connection\"",
                                     conn));
      }
      if (s.backend_options->table_name.empty()) {
        return s.ErrorAt("backend_options.table_name", "the name of the state table is required");
      }
      ps.backend = backend;
      ps.state_table = s.backend_options->table_name;
    }
    plan.sources.push_back(std::move(ps));
  }
  return plan;
}

SyncResult Engine::Sync(Plan& plan, const SyncOptions& options, Progress* progress) {
  SyncResult result;
  uint8_t id[16];
  UuidGenerator().NextV4(id);
  result.sync_id = FormatUuid(id);
  result.sync_time_us = NowMicros();
  RunContext run{
      &registry_,          &logger_,           &options, progress, &stop_, result.sync_id,
      result.sync_time_us, result.sync_time_us};
  std::mutex result_mu;
  {
    std::vector<std::jthread> threads;
    for (auto& ps : plan.sources) {
      threads.emplace_back([&run, &ps, &result, &result_mu, this] {
        SourceRun source(run, ps);
        source.Run();
        std::lock_guard lock(result_mu);
        result.resources += source.fetched();
        result.errors += source.table_errors() + static_cast<int64_t>(source.failures().size());
        for (auto& sum : source.summaries()) result.pairs.push_back(std::move(sum));
        for (auto& f : source.failures()) {
          logger_.Error(f);
          result.failures.push_back(std::move(f));
        }
      });
    }
  }
  result.duration_us = NowMicros() - run.start_us;
  result.interrupted = stop_.load();
  result.warnings = logger_.warnings() - warnings_before_;
  // Error lines logged by plugin processes count as errors of the run (as CloudQuery counts them).
  result.errors += logger_.external_errors() - external_errors_before_;
  return result;
}

Status Engine::Migrate(Plan& plan) {
  plugin::PluginContext ctx{&logger_};
  for (auto& ps : plan.sources) {
    for (const auto* d : ps.destinations) {
      QUARRY_ASSIGN_OR_RETURN(auto dest, registry_.MakeDestination(d->registry, d->path));
      QUARRY_RETURN_NOT_OK(dest->Configure(d->spec));
      Status st = dest->Init(ctx, d->options());
      std::vector<schema::TablePtr> tables;
      for (const auto& t : schema::Flatten(ps.tables)) {
        tables.push_back(d->pk_mode == config::PkMode::kCqIdOnly ? schema::WithCqColumns(*t, true)
                                                                 : t);
      }
      if (st.ok()) st = dest->Migrate(tables);
      Status cst = dest->Close();
      if (st.ok()) st = cst;
      QUARRY_RETURN_NOT_OK(st.WithContext(fmt::format("destination {}", d->name)));
      logger_.Info(fmt::format("migrated {} tables of source {} in destination {}", tables.size(),
                               ps.spec->name, d->name));
    }
  }
  return Status::OK();
}

}  // namespace quarry::engine
