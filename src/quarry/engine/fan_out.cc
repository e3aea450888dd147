#include "quarry/engine/fan_out.h"

#include <fmt/format.h>

#include "quarry/base/time.h"
#include "quarry/types/utf8.h"

namespace quarry::engine {

bool SourceCounters::Clean(std::string_view table) {
  std::lock_guard lock(mu);
  auto it = tables.find(table);
  return it == tables.end() || it->second.errors == 0;
}

std::unique_ptr<Channel<message::Message>> NewChannel() {
  constexpr size_t kCapacity = 16;
  constexpr int64_t kBytes = 16 << 20;
  return std::make_unique<Channel<message::Message>>(
      kCapacity, kBytes, [](const message::Message& m) -> int64_t {
        const auto* ins = std::get_if<message::Insert>(&m);
        return ins != nullptr ? ins->batch->size_bytes() : 0;
      });
}

FanOutSink::FanOutSink(std::vector<Channel<message::Message>*> outs, std::vector<Checker> checkers,
                       std::atomic<bool>& aborted, const std::atomic<bool>& stop,
                       SourceCounters& counters, Progress* progress, Logger& logger,
                       std::string source)
    : outs_(std::move(outs)),
      checkers_(std::move(checkers)),
      aborted_(aborted),
      stop_(stop),
      counters_(counters),
      progress_(progress),
      logger_(logger),
      source_(std::move(source)) {}

void FanOutSink::KeepCheckpoints(Channel<message::Message>* checkpoint_only) {
  keep_checkpoints_ = true;
  checkpoint_only_ = checkpoint_only;
}

Status FanOutSink::Send(message::Message msg) {
  if (aborted_) return Status::Cancelled("sync aborted");
  if (stop_) {
    aborted_ = true;
    return Status::Cancelled("sync interrupted");
  }
  const int64_t now = NowMicros();
  if (const auto* ins = std::get_if<message::Insert>(&msg)) {
    if (!AcceptInsert(*ins, now)) return Status::OK();
  } else if (const auto* err = std::get_if<message::TableError>(&msg)) {
    CountError(*err, now);
  } else if (auto* cp = std::get_if<message::Checkpoint>(&msg)) {
    return ForwardCheckpoint(*cp);
  }
  for (size_t i = 0; i < outs_.size(); ++i) {
    const bool ok = i + 1 == outs_.size() ? outs_[i]->Push(std::move(msg)) : outs_[i]->Push(msg);
    if (!ok) return Status::Cancelled("sync aborted");
  }
  return Status::OK();
}

bool FanOutSink::AcceptInsert(const message::Insert& ins, int64_t now) {
  const int64_t n = ins.batch->num_rows();
  int64_t first_row = 0;
  bool refused = false;
  {
    std::lock_guard lock(counters_.mu);
    auto& t = counters_.tables[ins.table->name];
    if (t.first_us == 0) t.first_us = now;
    t.last_us = now;
    first_row = t.rows;
    t.rows += n;
    refused = t.refused;
  }
  if (progress_ != nullptr) progress_->AddRows(ins.table->name, n);
  if (refused) return false;
  Status bad = CheckValues(ins, first_row);
  if (bad.ok()) return true;
  {
    std::lock_guard lock(counters_.mu);
    auto& t = counters_.tables[ins.table->name];
    t.refused = true;
    t.errors++;
  }
  logger_.Error(fmt::format("table {}: {}", ins.table->name, bad.message()),
                {{"source", source_}, {"table", ins.table->name}});
  return false;
}

void FanOutSink::CountError(const message::TableError& err, int64_t now) {
  {
    std::lock_guard lock(counters_.mu);
    auto& t = counters_.tables[err.table_name];
    if (t.first_us == 0) t.first_us = now;
    t.last_us = now;
    t.errors++;
  }
  logger_.Error(fmt::format("table {}: {}", err.table_name, err.error),
                {{"source", source_}, {"table", err.table_name}});
}

Status FanOutSink::ForwardCheckpoint(message::Checkpoint& cp) {
  if (!keep_checkpoints_) return Status::OK();
  // A refused table's cursor stays where it was: the next run fetches its rows again.
  {
    std::lock_guard lock(counters_.mu);
    auto it = counters_.tables.find(cp.key.substr(0, cp.key.find('#')));
    if (it != counters_.tables.end() && it->second.refused) return Status::OK();
  }
  // Ids must reach every channel in increasing order: number and push under one lock.
  std::lock_guard lock(checkpoint_mu_);
  cp.id = ++checkpoint_id_;
  if (checkpoint_only_ != nullptr && !checkpoint_only_->Push(cp)) {
    return Status::Cancelled("sync aborted");
  }
  for (auto* out : outs_) {
    if (!out->Push(cp)) return Status::Cancelled("sync aborted");
  }
  return Status::OK();
}

Status FanOutSink::CheckValues(const message::Insert& ins, int64_t first_row) const {
  QUARRY_RETURN_NOT_OK(types::CheckUtf8(*ins.batch, first_row));
  for (const auto& [name, dest] : checkers_) {
    QUARRY_RETURN_NOT_OK(dest->CheckValues(*ins.table, *ins.batch, first_row)
                             .WithContext(fmt::format("destination {}", name)));
  }
  return Status::OK();
}

}  // namespace quarry::engine
