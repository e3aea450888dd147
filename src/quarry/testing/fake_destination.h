// FakeDestination: an in-memory DestinationPlugin for tests of the layers that drive
// destinations (writer, state, engine). It records what it is asked, keeps the rows it
// committed, and can fail on its Nth write; options give it transactions, Read and TryLock, so
// it can stand in for a state backend.
//
// Thread-safe, except `options`: set them before the fake is used.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/plugin/destination.h"

namespace quarry::testing {

struct FakeDestinationOptions {
  // What batch_options() returns; Configure reads a spec's batch_size, batch_size_bytes and
  // batch_timeout over these (and rejects any other option).
  plugin::BatchOptions batch;
  // has_transactions(): BeginTransaction opens a transaction that the Write and WriteAll calls
  // after it join; CommitTransaction makes their rows durable at once, RollbackTransaction
  // drops them.
  bool transactions = false;
  // Read yields the rows committed to a table. False: the interface's default (an error).
  bool readable = false;
  // TryLock hands out one lock per name at a time. False: the interface's default (no locking).
  bool lockable = false;
  // The Nth Write or WriteAll call (counting from 1, both kinds together) fails with
  // `write_error` and stores nothing; 0: none fails.
  int fail_on_write = 0;
  Status write_error = Status::IOError("write failed");
  // What DeleteStale returns (it deletes nothing).
  int64_t stale_rows = 0;
  // Called at the start of every Write and WriteAll, on the caller's thread, with no lock of the
  // fake held (it may block, e.g. to order two writers).
  std::function<void(const std::vector<plugin::TableWrite>&)> before_write;
};

class FakeDestination : public plugin::DestinationPlugin {
 public:
  explicit FakeDestination(FakeDestinationOptions options = {});
  ~FakeDestination() override;

  FakeDestinationOptions options;

  // A DestinationPlugin that forwards every call to this fake, for a registry factory (the
  // engine destroys what the factory makes; what it did stays recorded here). Several handles
  // share one record and one open transaction. REQUIRES: this fake outlives the handle.
  std::unique_ptr<plugin::DestinationPlugin> NewHandle();

  // What was made durable, one line per step, in order:
  //   "migrate t u"          a Migrate call with tables t and u
  //   "write t:12 u:3"       rows committed together: one Write or WriteAll outside a
  //                          transaction, or all that one committed transaction wrote
  //   "delete_stale t src"   a DeleteStale call for table t and source src
  std::vector<std::string> calls() const;
  // Blocks until calls() has at least `n` lines; false when that takes longer than `limit` of
  // real time (a broken test then fails instead of hanging).
  bool WaitForCalls(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(30)) const;
  // Write and WriteAll calls so far, the failed one included.
  int writes() const;
  // The committed rows of `table`.
  std::vector<types::RecordBatchPtr> Batches(std::string_view table) const;
  int64_t NumRows(std::string_view table) const;
  // `name` as the last Migrate call saw it; null when none did.
  schema::TablePtr migrated(std::string_view name) const;

  // plugin::DestinationPlugin
  Status Configure(const nlohmann::json& spec) override;
  plugin::BatchOptions batch_options() const override;
  Status Init(const plugin::PluginContext& ctx, const plugin::DestinationOptions& options) override;
  Status Migrate(const std::vector<schema::TablePtr>& tables) override;
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override;
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override;
  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override;
  Result<std::unique_ptr<plugin::SyncLock>> TryLock(std::string_view name) override;
  bool has_transactions() const override;
  Status BeginTransaction() override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override;

 private:
  class Lock;
  // Per Write (or per table of a WriteAll): the table's name and its batches.
  using Rows = std::vector<std::pair<std::string, std::vector<types::RecordBatchPtr>>>;
  // REQUIRES: mu_ held.
  void CommitLocked(Rows rows);
  void RecordLocked(std::string line);

  mutable std::mutex mu_;
  mutable std::condition_variable recorded_;
  std::vector<std::string> calls_;
  int writes_ = 0;
  std::map<std::string, std::vector<types::RecordBatchPtr>, std::less<>> committed_;
  std::map<std::string, schema::TablePtr, std::less<>> migrated_;
  bool in_transaction_ = false;
  Rows open_;  // written inside the open transaction
  std::set<std::string, std::less<>> locks_;
};

}  // namespace quarry::testing
