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

namespace {

class DataWriterPolicy final : public writer::CheckpointPolicy {
 public:
  DataWriterPolicy(CheckpointCoordinator& coord, int participant)
      : coord_(coord), participant_(participant) {}

  Status OnCheckpoint(const message::Checkpoint& cp, const writer::FlushFn& flush) override {
    if (!coord_.WaitCommitted(cp.id - 1)) {
      return Status::Cancelled("stopped: the state backend failed");
    }
    QUARRY_RETURN_NOT_OK(flush({}));
    coord_.Ack(participant_, cp.id);
    last_acked_ = cp.id;
    return Status::OK();
  }

  Status BeforeEarlyWrite() override {
    if (!coord_.WaitCommitted(last_acked_)) {
      return Status::Cancelled("stopped: the state backend failed");
    }
    return Status::OK();
  }

 private:
  CheckpointCoordinator& coord_;
  const int participant_;
  int64_t last_acked_ = 0;
};

class BackendWriterPolicy final : public writer::CheckpointPolicy {
 public:
  BackendWriterPolicy(CheckpointCoordinator& coord, int participant, schema::TablePtr table,
                      std::string source)
      : coord_(coord),
        participant_(participant),
        table_(std::move(table)),
        source_(std::move(source)) {}

  Status OnCheckpoint(const message::Checkpoint& cp, const writer::FlushFn& flush) override {
    if (!coord_.WaitAcked(cp.id, participant_)) {
      return Status::Cancelled("cursor not saved: another destination failed");
    }
    StateEntry entry{FullKey(source_, cp.key), cp.value, coord_.NextVersion()};
    QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, StateBatch(*table_, {entry}));
    const std::vector<types::RecordBatchPtr> batches{batch};
    QUARRY_RETURN_NOT_OK(flush({{table_.get(), &batches}}).WithContext("save cursor"));
    if (participant_ >= 0) coord_.Ack(participant_, cp.id);
    coord_.RecordCommit(cp.key, cp.value);
    coord_.Committed(cp.id);
    return Status::OK();
  }

  bool HoldEarlyWrites() const override { return true; }

 private:
  CheckpointCoordinator& coord_;
  const int participant_;
  const schema::TablePtr table_;
  const std::string source_;
};

}  // namespace

std::shared_ptr<writer::CheckpointPolicy> DataPolicy(CheckpointCoordinator& coord,
                                                     int participant) {
  return std::make_shared<DataWriterPolicy>(coord, participant);
}

std::shared_ptr<writer::CheckpointPolicy> BackendPolicy(CheckpointCoordinator& coord,
                                                        int participant,
                                                        schema::TablePtr state_table,
                                                        std::string source_name) {
  return std::make_shared<BackendWriterPolicy>(coord, participant, std::move(state_table),
                                               std::move(source_name));
}

}  // namespace quarry::state
