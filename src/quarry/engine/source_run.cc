#include "quarry/engine/source_run.h"

#include <fmt/format.h>

#include <algorithm>

#include "quarry/base/glob.h"
#include "quarry/base/time.h"
#include "quarry/engine/summary.h"

namespace quarry::engine {

namespace {

void CountsToSummary(SourceCounters& counters, const writer::BatchWriter* w,
                     const std::vector<schema::TablePtr>& tables, PairSummary* pair) {
  std::lock_guard lock(counters.mu);
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

Status WriteSummaryRow(plugin::DestinationPlugin& dest, const SyncResult& result,
                       const PairSummary& pair, plugin::PkMode pk_mode) {
  QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table,
                          SummaryTable(pk_mode == plugin::PkMode::kCqIdOnly));
  QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr row, SummaryRow(*table, result, pair));
  QUARRY_RETURN_NOT_OK(dest.Migrate({table}));
  return dest.Write(*table, {row});
}

}  // namespace

SourceRun::SourceRun(const RunContext& run, PreparedSource& ps)
    : run_(run),
      ps_(ps),
      source_(*ps.spec),
      logger_(*run.logger),
      ctx_{run.logger},
      pairs_(ps.destinations.size()),
      summaries_(ps.destinations.size()),
      coord_(static_cast<int>(ps.destinations.size())) {
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const config::DestinationSpec& d = *ps.destinations[i];
    pairs_[i].spec = &d;
    if (ps.backend == &d) backend_index_ = static_cast<int>(i);
    PairSummary& sum = summaries_[i];
    sum.source_name = source_.name;
    sum.source_path = source_.path;
    sum.source_version = source_.version;
    sum.destination_name = d.name;
    sum.destination_path = d.path;
    sum.destination_version = d.version;
    sum.write_mode = std::string(config::ToString(d.write_mode));
    sum.sync_group_id = d.sync_group_id;
  }
}

void SourceRun::Run() {
  if (Open() && OpenState() && Fence()) {
    StartWriters();
    std::vector<Channel<message::Message>*> outs;
    std::vector<FanOutSink::Checker> checkers;
    for (const auto& p : pairs_) {
      outs.push_back(p.channel.get());
      checkers.emplace_back(p.spec->name, p.plugin.get());
    }
    FanOutSink sink(std::move(outs), std::move(checkers), aborted_, *run_.stop, counters_,
                    run_.progress, logger_, source_.name);
    if (has_backend()) sink.KeepCheckpoints(backend_.channel.get());
    const Status st = RunSource(sink);
    if (st.ok() && !aborted_) QueueDeleteStale();
    Drain(st);
  }
  Summarize();
  Close();
}

void SourceRun::FailAll(const std::string& why) {
  for (auto& sum : summaries_) {
    sum.error = why;
    sum.source_errors++;
  }
  failures_.push_back(why);
}

bool SourceRun::Open() {
  if (Status st = ps_.plugin->Init(ctx_); !st.ok()) {
    FailAll(fmt::format("source {}: init: {}", source_.name, st.message()));
    return false;
  }
  for (size_t i = 0; i < pairs_.size(); ++i) {
    Pair& p = pairs_[i];
    auto made = run_.registry->MakeDestination(p.spec->registry, p.spec->path);
    Status st = made.status();
    if (st.ok()) {
      p.plugin = made.MoveValue();
      st = p.plugin->Configure(p.spec->spec);
    }
    if (st.ok()) st = p.plugin->Init(ctx_, p.spec->options());
    if (!st.ok()) {
      summaries_[i].destination_errors++;
      FailAll(fmt::format("destination {}: init: {}", p.spec->name, st.message()));
      return false;
    }
  }
  return true;
}

bool SourceRun::OpenState() {
  if (ps_.backend == nullptr) return true;
  if (Status st = OpenBackend(*run_.registry, ps_, ctx_, &backend_); !st.ok()) {
    FailAll(fmt::format("source {}: state backend {}: {}", source_.name, ps_.backend->name,
                        st.message()));
    return false;
  }
  const SyncOptions& options = *run_.options;
  if (!options.full_refresh) return true;
  for (auto it = backend_.saved.begin(); it != backend_.saved.end();) {
    // Keys are "<table>" or "<table>#<part>"; only incremental tables' cursors go.
    const std::string table = it->first.substr(0, it->first.find('#'));
    const bool match = IsIncrementalTable(ps_.tables, table) &&
                       (options.refresh_tables.empty() ||
                        std::any_of(options.refresh_tables.begin(), options.refresh_tables.end(),
                                    [&](const std::string& p) { return GlobMatch(p, table); }));
    if (match) {
      logger_.Info(fmt::format("full refresh of {}: ignoring saved cursor {}", table, it->second));
      it = backend_.saved.erase(it);
    } else {
      ++it;
    }
  }
  return true;
}

bool SourceRun::Fence() {
  // Fencing of every destination, backend or not: another sync of this source writing to one of
  // them makes this one fail before it writes anything.
  for (size_t i = 0; i < pairs_.size(); ++i) {
    Pair& p = pairs_[i];
    if (backend_.lock && p.spec == ps_.backend) continue;  // the backend connection holds it
    auto lock = p.plugin->TryLock(SyncLockName(source_));
    if (!lock.ok()) {
      summaries_[i].destination_errors++;
      FailAll(fmt::format("destination {}: {}", p.spec->name, lock.status().message()));
      return false;
    }
    p.lock = lock.MoveValue();
    if (p.lock == nullptr) {
      logger_.Debug(
          fmt::format("destination {} cannot lock: syncs of source {} into it are "
                      "not fenced",
                      p.spec->name, source_.name));
    }
  }
  return true;
}

writer::WriterOptions SourceRun::WriterOptionsFor(size_t i) {
  const Pair& p = pairs_[i];
  writer::WriterOptions wo;
  wo.batch = p.plugin->batch_options();
  wo.pk_mode = p.spec->pk_mode;
  wo.migrate = run_.options->migrate;
  if (has_backend()) {
    if (static_cast<int>(i) == backend_index_) {
      wo.checkpoints =
          state::BackendPolicy(coord_, backend_index_, backend_.state_table, source_.name);
      wo.own_tables = {backend_.state_table};
    } else {
      wo.checkpoints = state::DataPolicy(coord_, static_cast<int>(i));
    }
    wo.checkpointed_tables = CheckpointedTables(ps_.tables);
  }
  return wo;
}

void SourceRun::StartWriters() {
  for (size_t i = 0; i < pairs_.size(); ++i) {
    Pair& p = pairs_[i];
    p.channel = NewChannel();
    p.writer = std::make_unique<writer::BatchWriter>(*p.plugin, WriterOptionsFor(i));
  }
  // A backend that holds none of this source's data gets only the checkpoints.
  if (has_backend() && backend_index_ < 0) {
    backend_.channel = NewChannel();
    writer::WriterOptions wo;
    wo.batch = backend_.plugin->batch_options();
    wo.checkpoints = state::BackendPolicy(coord_, -1, backend_.state_table, source_.name);
    backend_.writer = std::make_unique<writer::BatchWriter>(*backend_.plugin, std::move(wo));
    backend_.thread = std::jthread([this] {
      backend_.status = backend_.writer->Run(*backend_.channel);
      if (!backend_.status.ok()) {
        coord_.Abort();
        aborted_ = true;
      }
    });
  }
  for (auto& p : pairs_) {
    p.thread = std::jthread([this, &p] {
      p.status = p.writer->Run(*p.channel);
      // A destination that cannot write stops the source: nothing more can land there, and no
      // later cursor may be saved.
      if (!p.status.ok()) {
        coord_.Abort();
        aborted_ = true;
      }
    });
  }
}

Status SourceRun::RunSource(FanOutSink& sink) {
  logger_.Debug(fmt::format("sync started for source {}", source_.name));
  plugin::SyncRequest req;
  req.tables = ps_.tables;
  req.source_name = source_.name;
  req.sync_time_us = run_.sync_time_us;
  req.deterministic_cq_id = source_.deterministic_cq_id;
  if (has_backend()) {
    req.state = backend_.saved;
    req.state_table = ps_.state_table;
  }
  return ps_.plugin->Sync(req, sink);
}

void SourceRun::QueueDeleteStale() {
  const auto tables = schema::Flatten(ps_.tables);
  for (auto& p : pairs_) {
    if (p.spec->write_mode != plugin::WriteMode::kOverwriteDeleteStale) continue;
    for (const auto& t : tables) {
      // Incremental tables (and their children) fetch only what changed: with a state backend
      // their older rows are not stale.
      if (has_backend() && IsIncrementalTree(ps_.tables, t->name)) continue;
      // Stale rows go only for tables that completed without errors.
      if (counters_.Clean(t->name)) {
        p.channel->Push(message::DeleteStale{t, source_.name, run_.sync_time_us});
      } else {
        logger_.Warn(fmt::format("table {}: stale rows kept in {} because the table had errors",
                                 t->name, p.spec->name));
      }
    }
  }
}

void SourceRun::Drain(const Status& sync_status) {
  // Rows that no saved cursor covers are fetched again by the next run: where they are held back
  // (the backend), they must not land now.
  if (!sync_status.ok() || aborted_) {
    for (auto& p : pairs_) p.writer->AbandonUncovered();
  }
  for (auto& p : pairs_) p.channel->Close();
  for (auto& p : pairs_) p.thread.join();
  if (backend_.channel) {
    backend_.channel->Close();
    backend_.thread.join();
    if (!backend_.status.ok() && !backend_.status.IsCancelled()) {
      failures_.push_back(
          fmt::format("state backend {}: {}", ps_.backend->name, backend_.status.message()));
    }
  }
  for (const auto& [key, value] : coord_.committed()) {
    logger_.Info(fmt::format("cursor saved: {} = {}", key, value),
                 {{"source", source_.name}, {"key", key}});
  }
  const bool write_failed = std::any_of(pairs_.begin(), pairs_.end(), [](const Pair& p) {
    return !p.status.ok() && !p.status.IsCancelled();
  });
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const Pair& p = pairs_[i];
    // A writer cancelled because another destination failed is not a failure of its own.
    if (p.status.ok() || (p.status.IsCancelled() && write_failed)) continue;
    const std::string why = fmt::format("destination {}: {}", p.spec->name, p.status.message());
    summaries_[i].error = why;
    summaries_[i].destination_errors++;
    failures_.push_back(why);
  }
  if (!sync_status.ok() && !(sync_status.IsCancelled() && aborted_)) {
    FailAll(fmt::format("source {}: {}", source_.name, sync_status.message()));
  }
}

void SourceRun::Summarize() {
  for (size_t i = 0; i < summaries_.size(); ++i) {
    CountsToSummary(counters_, pairs_[i].writer.get(), ps_.tables, &summaries_[i]);
  }
  // send_sync_summary: the pair's summary also goes into the destination itself.
  for (size_t i = 0; i < pairs_.size(); ++i) {
    Pair& p = pairs_[i];
    if (!p.writer || !p.status.ok() || !p.spec->send_sync_summary) continue;
    SyncResult so_far;
    so_far.sync_id = run_.sync_id;
    so_far.sync_time_us = run_.sync_time_us;
    so_far.duration_us = NowMicros() - run_.start_us;
    so_far.interrupted = run_.stop->load();
    Status st = WriteSummaryRow(*p.plugin, so_far, summaries_[i], p.spec->pk_mode);
    if (!st.ok()) {
      summaries_[i].destination_errors++;
      failures_.push_back(
          fmt::format("destination {}: sync summary: {}", p.spec->name, st.message()));
    }
  }
}

void SourceRun::Close() {
  for (auto& p : pairs_) {
    p.lock.reset();
    if (!p.plugin) continue;
    if (Status st = p.plugin->Close(); !st.ok()) {
      logger_.Error(fmt::format("destination {}: close: {}", p.spec->name, st.message()));
    }
  }
  if (backend_.plugin) {
    backend_.lock.reset();
    if (Status st = backend_.plugin->Close(); !st.ok()) {
      logger_.Error(fmt::format("state backend: close: {}", st.message()));
    }
  }
  if (Status st = ps_.plugin->Close(); !st.ok()) {
    logger_.Error(fmt::format("source {}: close: {}", source_.name, st.message()));
  }
}

int64_t SourceRun::fetched() const {
  int64_t n = 0;
  for (const auto& [name, t] : counters_.tables) n += t.rows;
  return n;
}

int64_t SourceRun::table_errors() const {
  int64_t n = 0;
  for (const auto& [name, t] : counters_.tables) n += t.errors;
  return n;
}

}  // namespace quarry::engine
