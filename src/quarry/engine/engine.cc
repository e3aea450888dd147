#include "quarry/engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "quarry/base/channel.h"
#include "quarry/base/glob.h"
#include "quarry/base/time.h"
#include "quarry/base/uuid.h"
#include "quarry/state/checkpoint.h"
#include "quarry/types/json.h"
#include "quarry/types/utf8.h"
#include "quarry/writer/batch_writer.h"

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

namespace {

// Per-table counters of one source, shared by its sink and its summary.
struct SourceCounters {
  std::mutex mu;
  struct Table {
    int64_t rows = 0;
    int64_t errors = 0;
    int64_t first_us = 0;
    int64_t last_us = 0;
    // A value no destination may store as it is: nothing more of the table is written, and its
    // cursor does not move.
    bool refused = false;
  };
  std::map<std::string, Table, std::less<>> tables;
};

// Fans a source's messages out to one channel per destination and counts them.
class FanOutSink : public plugin::MessageSink {
 public:
  FanOutSink(std::vector<Channel<message::Message>*> outs, std::atomic<bool>& aborted,
             const std::atomic<bool>& stop, SourceCounters& counters, Progress* progress,
             Logger& logger, const std::string& source)
      : outs_(std::move(outs)),
        aborted_(aborted),
        stop_(stop),
        counters_(counters),
        progress_(progress),
        logger_(logger),
        source_(source) {}

  Status Send(message::Message msg) override {
    if (aborted_) return Status::Cancelled("sync aborted");
    if (stop_) {
      aborted_ = true;
      return Status::Cancelled("sync interrupted");
    }
    const int64_t now = NowMicros();
    if (const auto* ins = std::get_if<message::Insert>(&msg)) {
      const int64_t n = ins->batch->num_rows();
      int64_t first_row = 0;
      bool refused = false;
      {
        std::lock_guard lock(counters_.mu);
        auto& t = counters_.tables[ins->table->name];
        if (t.first_us == 0) t.first_us = now;
        t.last_us = now;
        first_row = t.rows;
        t.rows += n;
        refused = t.refused;
      }
      if (progress_ != nullptr) progress_->AddRows(ins->table->name, n);
      if (refused) return Status::OK();
      if (Status bad = CheckValues(*ins, first_row); !bad.ok()) {
        {
          std::lock_guard lock(counters_.mu);
          auto& t = counters_.tables[ins->table->name];
          t.refused = true;
          t.errors++;
        }
        logger_.Error(fmt::format("table {}: {}", ins->table->name, bad.message()),
                      {{"source", source_}, {"table", ins->table->name}});
        return Status::OK();
      }
    } else if (const auto* err = std::get_if<message::TableError>(&msg)) {
      {
        std::lock_guard lock(counters_.mu);
        auto& t = counters_.tables[err->table_name];
        if (t.first_us == 0) t.first_us = now;
        t.last_us = now;
        t.errors++;
      }
      logger_.Error(fmt::format("table {}: {}", err->table_name, err->error),
                    {{"source", source_}, {"table", err->table_name}});
    }
    if (auto* cp = std::get_if<message::Checkpoint>(&msg)) {
      // Without a state backend there is nothing to save: incremental tables run in full.
      if (!keep_checkpoints_) return Status::OK();
      // A refused table's cursor stays where it was: the next run fetches its rows again.
      {
        std::lock_guard lock(counters_.mu);
        auto it = counters_.tables.find(cp->key.substr(0, cp->key.find('#')));
        if (it != counters_.tables.end() && it->second.refused) return Status::OK();
      }
      // Ids must reach every channel in increasing order: number and push under one lock.
      std::lock_guard lock(checkpoint_mu_);
      cp->id = ++checkpoint_id_;
      if (checkpoint_only_ != nullptr && !checkpoint_only_->Push(msg)) {
        return Status::Cancelled("sync aborted");
      }
      for (auto* out : outs_) {
        if (!out->Push(msg)) return Status::Cancelled("sync aborted");
      }
      return Status::OK();
    }
    for (size_t i = 0; i < outs_.size(); ++i) {
      const bool ok = i + 1 == outs_.size() ? outs_[i]->Push(std::move(msg)) : outs_[i]->Push(msg);
      if (!ok) return Status::Cancelled("sync aborted");
    }
    return Status::OK();
  }

  // Checkpoints are forwarded (to every channel, and to `checkpoint_only`, the channel of a
  // backend that holds no data of this source) only when a state backend is configured.
  void KeepCheckpoints(Channel<message::Message>* checkpoint_only) {
    keep_checkpoints_ = true;
    checkpoint_only_ = checkpoint_only;
  }

  // Destinations whose CheckValues every batch must pass (with their names, for messages).
  void CheckValuesFor(std::vector<std::pair<std::string, const plugin::DestinationPlugin*>> d) {
    checkers_ = std::move(d);
  }

 private:
  // Text must be valid UTF-8 everywhere; each destination may refuse more.
  Status CheckValues(const message::Insert& ins, int64_t first_row) const {
    QUARRY_RETURN_NOT_OK(types::CheckUtf8(*ins.batch, first_row));
    for (const auto& [name, dest] : checkers_) {
      QUARRY_RETURN_NOT_OK(dest->CheckValues(*ins.table, *ins.batch, first_row)
                               .WithContext(fmt::format("destination {}", name)));
    }
    return Status::OK();
  }

  std::vector<std::pair<std::string, const plugin::DestinationPlugin*>> checkers_;
  std::vector<Channel<message::Message>*> outs_;
  std::atomic<bool>& aborted_;
  const std::atomic<bool>& stop_;
  SourceCounters& counters_;
  Progress* progress_;
  Logger& logger_;
  const std::string& source_;
  bool keep_checkpoints_ = false;
  Channel<message::Message>* checkpoint_only_ = nullptr;
  std::mutex checkpoint_mu_;
  int64_t checkpoint_id_ = 0;
};

// Messages in flight per destination channel, and the bytes of their rows: back-pressure with
// memory bounded whatever the row size.
constexpr size_t kChannelCapacity = 16;
constexpr int64_t kChannelBytes = 16 << 20;

std::unique_ptr<Channel<message::Message>> NewChannel() {
  return std::make_unique<Channel<message::Message>>(
      kChannelCapacity, kChannelBytes, [](const message::Message& m) -> int64_t {
        const auto* ins = std::get_if<message::Insert>(&m);
        return ins != nullptr ? ins->batch->size_bytes() : 0;
      });
}

struct PairRun {
  const config::DestinationSpec* spec = nullptr;
  std::unique_ptr<plugin::DestinationPlugin> plugin;
  std::unique_ptr<Channel<message::Message>> channel;
  std::unique_ptr<writer::BatchWriter> writer;
  std::unique_ptr<plugin::SyncLock> lock;  // fencing; null where the backend connection holds it
  std::jthread thread;
  Status status;
  Status init_status;
};

// A source's state backend during a run.
struct BackendRun {
  std::unique_ptr<plugin::DestinationPlugin> plugin;
  std::unique_ptr<plugin::SyncLock> lock;
  schema::TablePtr state_table;
  std::map<std::string, std::string> saved;  // the source's cursors, by its keys
  // Only when the backend holds no data of the source: a writer for the cursors alone.
  std::unique_ptr<Channel<message::Message>> channel;
  std::unique_ptr<writer::BatchWriter> writer;
  std::jthread thread;
  Status status;
};

bool IsIncrementalTable(const std::vector<schema::TablePtr>& tree, std::string_view name) {
  for (const auto& t : schema::Flatten(tree)) {
    if (t->name == name) return t->is_incremental;
  }
  return false;
}

// True when `name` is an incremental table or a descendant of one.
bool IsIncrementalTree(const std::vector<schema::TablePtr>& tree, std::string_view name,
                       bool inside = false) {
  for (const auto& t : tree) {
    const bool inc = inside || t->is_incremental;
    if (t->name == name) return inc;
    if (IsIncrementalTree(t->relations, name, inc)) return true;
  }
  return false;
}

// The lock a sync of a source holds in every destination it writes: two syncs of one source
// into one destination never interleave (one's delete-stale would remove the other's rows).
std::string SyncLockName(const config::SourceSpec& source) { return "sync " + source.name; }

// Names of the incremental tables of `tree` and their descendants: the rows checkpoints cover.
void CheckpointedTables(const std::vector<schema::TablePtr>& tree, bool inside,
                        std::set<std::string>* out) {
  for (const auto& t : tree) {
    const bool inc = inside || t->is_incremental;
    if (inc) out->insert(t->name);
    CheckpointedTables(t->relations, inc, out);
  }
}

// Opens the backend of `ps`, takes the source's lock and reads its cursors.
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
  QUARRY_ASSIGN_OR_RETURN(auto all, state::ReadAll(*out->plugin, *out->state_table));
  out->saved = state::ForSource(all, ps.spec->name);
  return Status::OK();
}

void CountsToSummary(const SourceCounters& counters, const writer::BatchWriter* w,
                     const std::vector<schema::TablePtr>& tables, PairSummary* pair) {
  for (const auto& t : schema::Flatten(tables)) {
    pair->source_tables.push_back(t->name);
    TableSummary& ts = pair->tables[t->name];
    auto it = counters.tables.find(t->name);
    if (it != counters.tables.end()) {
      ts.rows = it->second.rows;
      ts.errors = it->second.errors;
      ts.duration_ms = (it->second.last_us - it->second.first_us) / 1000;
    }
    if (w != nullptr) {
      auto ws = w->stats().find(t->name);
      if (ws != w->stats().end()) {
        ts.written = ws->second.rows;
        ts.deleted = ws->second.deleted;
      }
    }
    pair->resources += ts.written;
    pair->source_errors += ts.errors;
  }
}

// The `cloudquery_sync_summaries` table that send_sync_summary writes one row per pair into.
Result<schema::TablePtr> SummaryTable() {
  using types::int64;
  using types::json;
  using types::utf8;
  schema::Table t{"cloudquery_sync_summaries", "Sync summaries",
                  "One row per source/destination pair and sync (send_sync_summary: true)."};
  for (const char* name : {"cli_version", "sync_id"}) t.columns.push_back({name, utf8()});
  t.columns.push_back({"sync_time", types::timestamp()});
  for (const char* name : {"sync_duration_ms", "resources"}) t.columns.push_back({name, int64()});
  for (const char* name : {"source_name", "source_path", "source_version"}) {
    t.columns.push_back({name, utf8()});
  }
  for (const char* name : {"source_errors", "source_warnings"})
    t.columns.push_back({name, int64()});
  t.columns.push_back({"source_tables", json()});
  for (const char* name : {"destination_name", "destination_path", "destination_version"}) {
    t.columns.push_back({name, utf8()});
  }
  for (const char* name : {"destination_errors", "destination_warnings"}) {
    t.columns.push_back({name, int64()});
  }
  t.columns.push_back({"sync_group_id", utf8()});
  for (const char* name : {"resources_per_table", "errors_per_table", "durations_per_table_ms",
                           "fetched_per_table", "deleted_per_table"}) {
    t.columns.push_back({name, json()});
  }
  for (const char* name : {"write_mode", "status", "error"}) t.columns.push_back({name, utf8()});
  QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table, schema::Finalize(std::move(t)));
  return schema::WithCqColumns(*table);
}

Status WriteSummaryRow(plugin::DestinationPlugin& dest, const SyncResult& result,
                       const PairSummary& pair, config::PkMode pk_mode) {
  QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table, SummaryTable());
  if (pk_mode == config::PkMode::kCqIdOnly) table = schema::WithCqColumns(*table, true);
  nlohmann::json row = nlohmann::json::parse(SummaryJson(result, pair));
  uint8_t id[16];
  UuidGenerator().NextV4(id);
  row["_cq_id"] = FormatUuid(id);
  row["_cq_source_name"] = pair.source_name;
  row["_cq_sync_time"] = result.sync_time_us;
  QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch,
                          types::BatchFromJson(table->arrow_schema, "[" + row.dump() + "]"));
  QUARRY_RETURN_NOT_OK(dest.Migrate({table}));
  return dest.Write(*table, {batch});
}

}  // namespace

SyncResult Engine::Sync(Plan& plan, const SyncOptions& options, Progress* progress) {
  SyncResult result;
  uint8_t id[16];
  UuidGenerator().NextV4(id);
  result.sync_id = FormatUuid(id);
  result.sync_time_us = NowMicros();
  const int64_t start = result.sync_time_us;
  const int64_t warnings_before = warnings_before_;
  const int64_t external_errors_before = external_errors_before_;

  std::mutex result_mu;
  auto run_source = [&](PreparedSource& ps) {
    const config::SourceSpec& s = *ps.spec;
    std::vector<PairRun> pairs(ps.destinations.size());
    std::vector<PairSummary> summaries(ps.destinations.size());
    std::vector<std::string> failures;
    for (size_t i = 0; i < pairs.size(); ++i) {
      const config::DestinationSpec& d = *ps.destinations[i];
      PairSummary& sum = summaries[i];
      sum.source_name = s.name;
      sum.source_path = s.path;
      sum.source_version = s.version;
      sum.destination_name = d.name;
      sum.destination_path = d.path;
      sum.destination_version = d.version;
      sum.write_mode = std::string(config::ToString(d.write_mode));
      sum.sync_group_id = d.sync_group_id;
    }
    auto fail_all = [&](const std::string& why) {
      for (auto& sum : summaries) {
        sum.error = why;
        sum.source_errors++;
      }
      failures.push_back(why);
    };

    plugin::PluginContext ctx{&logger_};
    Status st = ps.plugin->Init(ctx);
    if (!st.ok()) fail_all(fmt::format("source {}: init: {}", s.name, st.message()));

    // Destinations: a fresh plugin instance (connection) per pair.
    for (size_t i = 0; st.ok() && i < pairs.size(); ++i) {
      PairRun& p = pairs[i];
      p.spec = ps.destinations[i];
      auto made = registry_.MakeDestination(p.spec->registry, p.spec->path);
      Status dst = made.status();
      if (dst.ok()) {
        p.plugin = made.MoveValue();
        dst = p.plugin->Configure(p.spec->spec);
      }
      if (dst.ok()) dst = p.plugin->Init(ctx, p.spec->options());
      if (!dst.ok()) {
        st = dst;
        summaries[i].destination_errors++;
        fail_all(fmt::format("destination {}: init: {}", p.spec->name, dst.message()));
      }
    }

    // The state backend: a connection of its own holds the lock (fencing) and reads the cursors;
    // when the backend holds no data of this source, it also writes them.
    BackendRun backend;
    // A CloudQuery-protocol source reads and writes its cursors itself through the backend.
    const bool own_state = ps.backend != nullptr && ps.plugin->keeps_own_state();
    if (own_state && options.full_refresh) {
      logger_.Warn(
          fmt::format("--full-refresh does not apply to source {}: the plugin keeps its "
                      "own cursors (in {})",
                      s.name, ps.state_table));
    }
    if (st.ok() && ps.backend != nullptr && !own_state) {
      Status bst = OpenBackend(registry_, ps, ctx, &backend);
      if (!bst.ok()) {
        st = bst;
        fail_all(fmt::format("source {}: state backend {}: {}", s.name, ps.backend->name,
                             bst.message()));
      } else if (options.full_refresh) {
        for (auto it = backend.saved.begin(); it != backend.saved.end();) {
          // Keys are "<table>" or "<table>#<part>"; only incremental tables' cursors go.
          const std::string table = it->first.substr(0, it->first.find('#'));
          bool match = IsIncrementalTable(ps.tables, table) &&
                       (options.refresh_tables.empty() ||
                        std::any_of(options.refresh_tables.begin(), options.refresh_tables.end(),
                                    [&](const std::string& p) { return GlobMatch(p, table); }));
          if (match) {
            logger_.Info(
                fmt::format("full refresh of {}: ignoring saved cursor {}", table, it->second));
            it = backend.saved.erase(it);
          } else {
            ++it;
          }
        }
      }
    }
    int backend_index = -1;
    for (size_t i = 0; i < ps.destinations.size(); ++i) {
      if (ps.backend != nullptr && ps.destinations[i] == ps.backend)
        backend_index = static_cast<int>(i);
    }
    // Fencing of every destination, backend or not: another sync of this source writing to one
    // of them makes this one fail before it writes anything.
    for (size_t i = 0; st.ok() && i < pairs.size(); ++i) {
      PairRun& p = pairs[i];
      if (backend.lock && p.spec == ps.backend) continue;  // the backend connection holds it
      auto lock = p.plugin->TryLock(SyncLockName(s));
      if (!lock.ok()) {
        st = lock.status();
        summaries[i].destination_errors++;
        fail_all(fmt::format("destination {}: {}", p.spec->name, st.message()));
        break;
      }
      p.lock = lock.MoveValue();
      if (p.lock == nullptr) {
        logger_.Debug(
            fmt::format("destination {} cannot lock: syncs of source {} into it are "
                        "not fenced",
                        p.spec->name, s.name));
      }
    }
    state::CheckpointCoordinator coord(static_cast<int>(pairs.size()));

    SourceCounters counters;
    std::atomic<bool> aborted{false};
    if (st.ok()) {
      std::vector<Channel<message::Message>*> outs;
      for (size_t i = 0; i < pairs.size(); ++i) {
        PairRun& p = pairs[i];
        p.channel = NewChannel();
        writer::WriterOptions wo;
        wo.batch = p.plugin->batch_options();
        wo.pk_mode = p.spec->pk_mode;
        wo.migrate = options.migrate;
        if (backend.state_table) {
          if (static_cast<int>(i) == backend_index) {
            wo.checkpoints =
                state::BackendPolicy(coord, backend_index, backend.state_table, s.name);
            wo.own_tables = {backend.state_table};
          } else {
            wo.checkpoints = state::DataPolicy(coord, static_cast<int>(i));
          }
          CheckpointedTables(ps.tables, false, &wo.checkpointed_tables);
        }
        p.writer = std::make_unique<writer::BatchWriter>(*p.plugin, std::move(wo));
        outs.push_back(p.channel.get());
      }
      // A backend that holds none of this source's data gets only the checkpoints.
      if (backend.state_table && backend_index < 0) {
        backend.channel = NewChannel();
        writer::WriterOptions wo;
        wo.batch = backend.plugin->batch_options();
        wo.checkpoints = state::BackendPolicy(coord, -1, backend.state_table, s.name);
        backend.writer = std::make_unique<writer::BatchWriter>(*backend.plugin, std::move(wo));
        backend.thread = std::jthread([&backend, &aborted, &coord] {
          backend.status = backend.writer->Run(*backend.channel);
          if (!backend.status.ok()) {
            coord.Abort();
            aborted = true;
          }
        });
      }
      for (auto& p : pairs) {
        p.thread = std::jthread([&p, &aborted, &coord] {
          p.status = p.writer->Run(*p.channel);
          // A destination that cannot write stops the source: nothing more can land there,
          // and no later cursor may be saved.
          if (!p.status.ok()) {
            coord.Abort();
            aborted = true;
          }
        });
      }
      logger_.Debug(fmt::format("sync started for source {}", s.name));
      FanOutSink sink(outs, aborted, stop_, counters, progress, logger_, s.name);
      if (backend.state_table) sink.KeepCheckpoints(backend.channel.get());
      std::vector<std::pair<std::string, const plugin::DestinationPlugin*>> checkers;
      for (const auto& p : pairs) checkers.emplace_back(p.spec->name, p.plugin.get());
      sink.CheckValuesFor(std::move(checkers));
      plugin::SyncRequest req;
      req.state = backend.saved;
      req.tables = ps.tables;
      req.source_name = s.name;
      req.sync_time_us = result.sync_time_us;
      req.deterministic_cq_id = s.deterministic_cq_id;
      if (own_state) {
        req.backend = ps.backend;
        req.backend_table = ps.state_table;
      }
      Status sync_st = ps.plugin->Sync(req, sink);
      if (sync_st.ok() && !aborted) {
        // Stale rows go only for tables that completed without errors.
        for (auto& p : pairs) {
          if (p.spec->write_mode != config::WriteMode::kOverwriteDeleteStale) continue;
          for (const auto& t : schema::Flatten(ps.tables)) {
            // Incremental tables (and their children) fetch only what changed: with a state
            // backend their older rows are not stale.
            if ((backend.state_table || own_state) && IsIncrementalTree(ps.tables, t->name)) {
              continue;
            }
            bool clean;
            {
              std::lock_guard lock(counters.mu);
              auto it = counters.tables.find(t->name);
              clean = it == counters.tables.end() || it->second.errors == 0;
            }
            if (clean) {
              p.channel->Push(message::DeleteStale{t, s.name, result.sync_time_us});
            } else {
              logger_.Warn(
                  fmt::format("table {}: stale rows kept in {} because the table had "
                              "errors",
                              t->name, p.spec->name));
            }
          }
        }
      }
      // Rows that no saved cursor covers are fetched again by the next run: where they are held
      // back (the backend), they must not land now.
      if (!sync_st.ok() || aborted) {
        for (auto& p : pairs) p.writer->AbandonUncovered();
      }
      for (auto& p : pairs) p.channel->Close();
      for (auto& p : pairs) p.thread.join();
      if (backend.channel) {
        backend.channel->Close();
        backend.thread.join();
        if (!backend.status.ok() && !backend.status.IsCancelled()) {
          failures.push_back(
              fmt::format("state backend {}: {}", ps.backend->name, backend.status.message()));
        }
      }
      for (const auto& [key, value] : coord.committed()) {
        logger_.Info(fmt::format("cursor saved: {} = {}", key, value),
                     {{"source", s.name}, {"key", key}});
      }
      bool write_failed = false;
      for (const auto& p : pairs)
        write_failed = write_failed || (!p.status.ok() && !p.status.IsCancelled());
      for (size_t i = 0; i < pairs.size(); ++i) {
        // A writer cancelled because another destination failed is not a failure of its own.
        if (pairs[i].status.IsCancelled() && write_failed) continue;
        if (!pairs[i].status.ok()) {
          const std::string why =
              fmt::format("destination {}: {}", pairs[i].spec->name, pairs[i].status.message());
          summaries[i].error = why;
          summaries[i].destination_errors++;
          failures.push_back(why);
        }
      }
      if (!sync_st.ok() && !(sync_st.IsCancelled() && aborted)) {
        fail_all(fmt::format("source {}: {}", s.name, sync_st.message()));
      }
      bool all_written = sync_st.ok() && !aborted;
      for (const auto& p : pairs) all_written = all_written && p.status.ok();
      if (own_state && all_written) {
        Status cs = ps.plugin->CommitState();
        if (!cs.ok()) fail_all(fmt::format("source {}: save state: {}", s.name, cs.message()));
      }
    }
    for (size_t i = 0; i < summaries.size(); ++i) {
      CountsToSummary(counters, pairs[i].writer.get(), ps.tables, &summaries[i]);
    }
    // send_sync_summary: the pair's summary also goes into the destination itself.
    for (size_t i = 0; i < pairs.size(); ++i) {
      PairRun& p = pairs[i];
      if (!p.writer || !p.status.ok() || !p.spec->send_sync_summary) continue;
      SyncResult so_far;
      so_far.sync_id = result.sync_id;
      so_far.sync_time_us = result.sync_time_us;
      so_far.duration_us = NowMicros() - start;
      Status sst = WriteSummaryRow(*p.plugin, so_far, summaries[i], p.spec->pk_mode);
      if (!sst.ok()) {
        const std::string why =
            fmt::format("destination {}: sync summary: {}", p.spec->name, sst.message());
        summaries[i].destination_errors++;
        failures.push_back(why);
      }
    }
    for (auto& p : pairs) {
      p.lock.reset();
      if (p.plugin) {
        Status cst = p.plugin->Close();
        if (!cst.ok())
          logger_.Error(fmt::format("destination {}: close: {}", p.spec->name, cst.message()));
      }
    }
    if (backend.plugin) {
      backend.lock.reset();
      Status bcst = backend.plugin->Close();
      if (!bcst.ok()) logger_.Error(fmt::format("state backend: close: {}", bcst.message()));
    }
    Status cst = ps.plugin->Close();
    if (!cst.ok()) logger_.Error(fmt::format("source {}: close: {}", s.name, cst.message()));

    std::lock_guard lock(result_mu);
    int64_t fetched = 0, table_errors = 0;
    for (const auto& [name, t] : counters.tables) {
      fetched += t.rows;
      table_errors += t.errors;
    }
    result.resources += fetched;
    result.errors += table_errors + static_cast<int64_t>(failures.size());
    for (auto& sum : summaries) result.pairs.push_back(std::move(sum));
    for (auto& f : failures) {
      logger_.Error(f);
      result.failures.push_back(std::move(f));
    }
  };

  {
    std::vector<std::jthread> threads;
    for (auto& ps : plan.sources) threads.emplace_back([&run_source, &ps] { run_source(ps); });
  }
  result.duration_us = NowMicros() - start;
  result.interrupted = stop_.load();
  result.warnings = logger_.warnings() - warnings_before;
  // Error lines logged by plugin processes count as errors of the run (as CloudQuery counts them).
  result.errors += logger_.external_errors() - external_errors_before;
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

namespace quarry::engine {

namespace {

// A CloudQuery-protocol source keeps its cursors in a table of its own format, which the state
// commands do not manage (and must not alter).
bool SkipOwnState(const PreparedSource& ps, Logger& logger) {
  if (!ps.plugin->keeps_own_state()) return false;
  logger.Warn(
      fmt::format("source {} keeps its own cursors (table {} in destination {}); "
                  "quarry state does not manage them",
                  ps.spec->name, ps.state_table, ps.backend->name));
  return true;
}

}  // namespace

Result<std::vector<StateRow>> Engine::ShowState(Plan& plan) {
  std::vector<StateRow> rows;
  plugin::PluginContext ctx{&logger_};
  for (auto& ps : plan.sources) {
    if (ps.backend == nullptr) continue;
    if (SkipOwnState(ps, logger_)) continue;
    QUARRY_ASSIGN_OR_RETURN(auto dest,
                            registry_.MakeDestination(ps.backend->registry, ps.backend->path));
    QUARRY_RETURN_NOT_OK(dest->Configure(ps.backend->spec));
    QUARRY_RETURN_NOT_OK(dest->Init(ctx, ps.backend->options()));
    QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table, state::StateTable(ps.state_table));
    QUARRY_ASSIGN_OR_RETURN(auto all, state::ReadAll(*dest, *table));
    const std::string prefix = state::FullKey(ps.spec->name, "");
    for (const auto& [key, e] : all) {
      if (key.starts_with(prefix)) {
        rows.push_back({ps.spec->name, key.substr(prefix.size()), e.value, e.version});
      }
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
    if (SkipOwnState(ps, logger_)) continue;
    BackendRun backend;  // takes the lock: never reset under a running sync
    Status st = OpenBackend(registry_, ps, ctx, &backend);
    if (!st.ok()) return st.WithContext(fmt::format("source {}", ps.spec->name));
    std::vector<state::StateEntry> tombstones;
    for (const auto& [key, value] : backend.saved) {
      const std::string table = key.substr(0, key.find('#'));
      bool match = patterns.empty();
      for (const auto& p : patterns) match = match || GlobMatch(p, table);
      if (!match) continue;
      // An empty value deletes the key; a newer version makes it win, also in append mode.
      tombstones.push_back(
          {state::FullKey(ps.spec->name, key), "", static_cast<uint64_t>(NowMicros())});
      deleted.push_back({ps.spec->name, key, value, 0});
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
