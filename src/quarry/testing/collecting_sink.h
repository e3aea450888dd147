// CollectingSink: a MessageSink that keeps every message a source sends, in order, and shows
// them the ways tests compare them: record batches, row counts, rows as JSON, checkpoints
// interleaved with rows, table errors.
//
// Thread-safe: Send may run on many threads at once; the views may be read at any time (they
// copy under the lock).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/message/message.h"
#include "quarry/plugin/source.h"

namespace quarry::testing {

class CollectingSink : public plugin::MessageSink {
 public:
  Status Send(message::Message msg) override;

  // Called for each Checkpoint before it is recorded, on the sending thread, with the sink's
  // lock held (other senders wait). Set it before the sync starts.
  std::function<void(const message::Checkpoint&)> on_checkpoint;

  std::vector<message::Message> messages() const;
  // The Insert batches of `table`, in the order sent.
  std::vector<types::RecordBatchPtr> Batches(std::string_view table) const;
  int64_t NumRows(std::string_view table) const;
  // Each row of `table` as JSON without the _cq_* columns, in the order sent.
  std::vector<std::string> Rows(std::string_view table) const;
  // The rows of table `key` (as Rows shows them) and the checkpoints of cursor `key`
  // ("checkpoint <value>"), interleaved in the order sent.
  std::vector<std::string> Events(std::string_view key) const;
  // Events of every key that has some.
  std::map<std::string, std::vector<std::string>> AllEvents() const;
  // Events(table) with each row shown as the value of its column `column`: {"1", "2",
  // "checkpoint 2", ...}.
  std::vector<std::string> Brief(std::string_view table, std::string_view column) const;
  // "<table>: <error>" per TableError.
  std::vector<std::string> Errors() const;

 private:
  mutable std::mutex mu_;
  std::vector<message::Message> messages_;
};

}  // namespace quarry::testing
