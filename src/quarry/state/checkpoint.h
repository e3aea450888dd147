// The checkpoint protocol: a cursor is committed only after every destination of the source has
// durably written every row emitted before it.
//
// A source's Checkpoint message travels down every destination channel behind the rows it covers,
// so it is a barrier in each stream. Each data writer, on reaching it, flushes everything pending
// (one transaction) and acknowledges the checkpoint's id. The writer of the state backend waits
// until every other writer has acknowledged that id, then writes its own pending rows and the
// cursor row in ONE transaction (WriteAll) — so when the backend also holds data (SQLite,
// PostgreSQL), cursor and rows commit together; a crash before that commit loses both and the
// next run re-fetches them. If any writer fails, the coordinator is aborted and no later cursor
// is committed. See docs/incremental.md.
//
// CheckpointCoordinator is thread-safe; the hooks run on writer threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "quarry/state/state_store.h"
#include "quarry/writer/batch_writer.h"

namespace quarry::state {

class CheckpointCoordinator {
 public:
  // `participants`: the data writers (0 … participants-1) that acknowledge checkpoints.
  explicit CheckpointCoordinator(int participants);

  void Ack(int participant, int64_t id);
  // Blocks until every participant but `except` (-1: none) acknowledged `id`. False when aborted.
  bool WaitAcked(int64_t id, int except);
  // The backend committed the cursor of checkpoint `id`.
  void Committed(int64_t id);
  // Blocks until the cursor of checkpoint `id` (or a later one) is committed. False when
  // aborted first.
  bool WaitCommitted(int64_t id);
  void Abort();
  bool aborted() const;

  // Versions that increase across calls and across runs (microseconds, bumped past the last).
  uint64_t NextVersion();
  void RecordCommit(const std::string& key, const std::string& value);
  // Cursors committed in this run, by the source's key.
  std::map<std::string, std::string> committed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> acked_;
  int64_t committed_id_ = 0;
  bool aborted_ = false;
  uint64_t last_version_ = 0;
  std::map<std::string, std::string> committed_;
};

// The policy of a writer that holds data but not the state. At checkpoint n it waits until the
// cursor of checkpoint n-1 is committed, flushes and acknowledges n; rows written early (their
// batch filled up) wait until the cursor of the last checkpoint it acknowledged is committed.
// So such a writer never commits a row more than one checkpoint interval past the saved
// cursor, which bounds what a crash can duplicate in an append-mode destination to the rows of
// one interval (e.g. chunk_size), whatever the batch sizes.
std::shared_ptr<writer::CheckpointPolicy> DataPolicy(CheckpointCoordinator& coord, int participant);

// The policy of the state backend's writer. `participant` is its index when it also holds the
// source's data, or -1 when it serves only as the backend (it then receives only checkpoints).
// At a checkpoint it waits until every other writer acknowledged it, then commits its pending
// rows and the cursor in one transaction. Rows written early stay in an open transaction until
// then (HoldEarlyWrites), so rows and the cursor that covers them commit together: exactly once.
std::shared_ptr<writer::CheckpointPolicy> BackendPolicy(CheckpointCoordinator& coord,
                                                        int participant,
                                                        schema::TablePtr state_table,
                                                        std::string source_name);

}  // namespace quarry::state
