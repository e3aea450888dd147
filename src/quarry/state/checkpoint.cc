#include "quarry/state/checkpoint.h"

#include <algorithm>

#include "quarry/base/time.h"

namespace quarry::state {

CheckpointCoordinator::CheckpointCoordinator(int participants)
    : acked_(static_cast<size_t>(participants), 0) {}

void CheckpointCoordinator::Ack(int participant, int64_t id) {
  std::lock_guard lock(mu_);
  auto& a = acked_[static_cast<size_t>(participant)];
  a = std::max(a, id);
  cv_.notify_all();
}

bool CheckpointCoordinator::WaitAcked(int64_t id, int except) {
  // A checkpoint every other writer reached is good even when one of them failed later.
  auto all_acked = [&] {
    for (size_t i = 0; i < acked_.size(); ++i) {
      if (static_cast<int>(i) != except && acked_[i] < id) return false;
    }
    return true;
  };
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return aborted_ || all_acked(); });
  return all_acked();
}

void CheckpointCoordinator::Committed(int64_t id) {
  std::lock_guard lock(mu_);
  committed_id_ = std::max(committed_id_, id);
  cv_.notify_all();
}

bool CheckpointCoordinator::WaitCommitted(int64_t id) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return aborted_ || committed_id_ >= id; });
  return committed_id_ >= id;
}

void CheckpointCoordinator::Abort() {
  std::lock_guard lock(mu_);
  aborted_ = true;
  cv_.notify_all();
}

bool CheckpointCoordinator::aborted() const {
  std::lock_guard lock(mu_);
  return aborted_;
}

uint64_t CheckpointCoordinator::NextVersion() {
  std::lock_guard lock(mu_);
  last_version_ = std::max(static_cast<uint64_t>(NowMicros()), last_version_ + 1);
  return last_version_;
}

void CheckpointCoordinator::RecordCommit(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  committed_[key] = value;
}

std::map<std::string, std::string> CheckpointCoordinator::committed() const {
  std::lock_guard lock(mu_);
  return committed_;
}

writer::CheckpointHook DataHook(CheckpointCoordinator& coord, int participant) {
  return [&coord, participant](const message::Checkpoint& cp,
                               const writer::FlushFn& flush) -> Status {
    if (!coord.WaitCommitted(cp.id - 1)) {
      return Status::Cancelled("stopped: the state backend failed");
    }
    QUARRY_RETURN_NOT_OK(flush({}));
    coord.Ack(participant, cp.id);
    return Status::OK();
  };
}

writer::CheckpointHook BackendHook(CheckpointCoordinator& coord, int participant,
                                   schema::TablePtr state_table, std::string source_name) {
  return [&coord, participant, table = std::move(state_table),
          source = std::move(source_name)](const message::Checkpoint& cp,
                                           const writer::FlushFn& flush) -> Status {
    if (!coord.WaitAcked(cp.id, participant)) {
      return Status::Cancelled("cursor not saved: another destination failed");
    }
    StateEntry entry{FullKey(source, cp.key), cp.value, coord.NextVersion()};
    QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, StateBatch(*table, {entry}));
    const std::vector<types::RecordBatchPtr> batches{batch};
    QUARRY_RETURN_NOT_OK(flush({{table.get(), &batches}}).WithContext("save cursor"));
    if (participant >= 0) coord.Ack(participant, cp.id);
    coord.RecordCommit(cp.key, cp.value);
    coord.Committed(cp.id);
    return Status::OK();
  };
}

}  // namespace quarry::state
