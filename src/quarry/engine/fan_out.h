// The source side of a sync (internal to the engine): the sink a source sends its messages to,
// which counts them, checks values, and fans them out to one bounded channel per destination.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "quarry/base/channel.h"
#include "quarry/base/log.h"
#include "quarry/engine/engine.h"
#include "quarry/message/message.h"
#include "quarry/plugin/destination.h"

namespace quarry::engine {

// Per-table counters of one source, shared by its sink and its summary. Guarded by `mu`.
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

  // False when the table had errors (its stale rows are then kept).
  bool Clean(std::string_view table);
};

// A channel between a source and one destination's writer: 16 messages and 16 MiB of rows at
// most, so memory stays bounded whatever the row size.
std::unique_ptr<Channel<message::Message>> NewChannel();

// Fans a source's messages out to one channel per destination and counts them. Thread-safe
// (a source's resolvers send concurrently).
class FanOutSink final : public plugin::MessageSink {
 public:
  // A destination whose CheckValues every batch must pass, with its name for messages.
  using Checker = std::pair<std::string, const plugin::DestinationPlugin*>;

  FanOutSink(std::vector<Channel<message::Message>*> outs, std::vector<Checker> checkers,
             std::atomic<bool>& aborted, const std::atomic<bool>& stop, SourceCounters& counters,
             Progress* progress, Logger& logger, std::string source);

  // Checkpoints are forwarded (to every channel, and to `checkpoint_only`, the channel of a
  // backend that holds no data of this source, when not null) only when a state backend is
  // configured; otherwise they are dropped: incremental tables then run in full.
  void KeepCheckpoints(Channel<message::Message>* checkpoint_only);

  Status Send(message::Message msg) override;

 private:
  // Counts an Insert; returns false when its table was refused earlier or is refused now.
  bool AcceptInsert(const message::Insert& ins, int64_t now);
  void CountError(const message::TableError& err, int64_t now);
  Status ForwardCheckpoint(message::Checkpoint& cp);
  // Text must be valid UTF-8 everywhere; each destination may refuse more.
  Status CheckValues(const message::Insert& ins, int64_t first_row) const;

  const std::vector<Channel<message::Message>*> outs_;
  const std::vector<Checker> checkers_;
  std::atomic<bool>& aborted_;
  const std::atomic<bool>& stop_;
  SourceCounters& counters_;
  Progress* const progress_;
  Logger& logger_;
  const std::string source_;
  bool keep_checkpoints_ = false;
  Channel<message::Message>* checkpoint_only_ = nullptr;
  std::mutex checkpoint_mu_;
  int64_t checkpoint_id_ = 0;
};

}  // namespace quarry::engine
