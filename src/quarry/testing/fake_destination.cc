#include "quarry/testing/fake_destination.h"

#include <fmt/format.h>

#include "quarry/plugin/spec_reader.h"

namespace quarry::testing {
namespace {

// Forwards to a FakeDestination that outlives it.
class Handle final : public plugin::DestinationPlugin {
 public:
  explicit Handle(FakeDestination& fake) : fake_(fake) {}
  Status Configure(const nlohmann::json& spec) override { return fake_.Configure(spec); }
  plugin::BatchOptions batch_options() const override { return fake_.batch_options(); }
  Status Init(const plugin::PluginContext& ctx,
              const plugin::DestinationOptions& options) override {
    return fake_.Init(ctx, options);
  }
  Status Migrate(const std::vector<schema::TablePtr>& tables) override {
    return fake_.Migrate(tables);
  }
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    return fake_.Write(table, batches);
  }
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override {
    return fake_.WriteAll(writes);
  }
  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override {
    return fake_.Read(table, fn);
  }
  Result<std::unique_ptr<plugin::SyncLock>> TryLock(std::string_view name) override {
    return fake_.TryLock(name);
  }
  bool has_transactions() const override { return fake_.has_transactions(); }
  Status BeginTransaction() override { return fake_.BeginTransaction(); }
  Status CommitTransaction() override { return fake_.CommitTransaction(); }
  void RollbackTransaction() override { fake_.RollbackTransaction(); }
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override {
    return fake_.DeleteStale(table, source_name, sync_time_us);
  }
  Status Close() override { return fake_.Close(); }

 private:
  FakeDestination& fake_;
};

}  // namespace

class FakeDestination::Lock final : public plugin::SyncLock {
 public:
  Lock(FakeDestination& fake, std::string name) : fake_(fake), name_(std::move(name)) {}
  ~Lock() override {
    std::lock_guard lock(fake_.mu_);
    fake_.locks_.erase(name_);
  }

 private:
  FakeDestination& fake_;
  std::string name_;
};

FakeDestination::FakeDestination(FakeDestinationOptions options) : options(std::move(options)) {}
FakeDestination::~FakeDestination() = default;

std::unique_ptr<plugin::DestinationPlugin> FakeDestination::NewHandle() {
  return std::make_unique<Handle>(*this);
}

std::vector<std::string> FakeDestination::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

bool FakeDestination::WaitForCalls(size_t n, std::chrono::milliseconds limit) const {
  std::unique_lock lock(mu_);
  return recorded_.wait_for(lock, limit, [&] { return calls_.size() >= n; });
}

int FakeDestination::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

std::vector<types::RecordBatchPtr> FakeDestination::Batches(std::string_view table) const {
  std::lock_guard lock(mu_);
  auto it = committed_.find(table);
  return it == committed_.end() ? std::vector<types::RecordBatchPtr>{} : it->second;
}

int64_t FakeDestination::NumRows(std::string_view table) const {
  int64_t n = 0;
  for (const auto& b : Batches(table)) n += b->num_rows();
  return n;
}

schema::TablePtr FakeDestination::migrated(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = migrated_.find(name);
  return it == migrated_.end() ? nullptr : it->second;
}

Status FakeDestination::Configure(const nlohmann::json& spec) {
  plugin::SpecReader reader(spec);
  const plugin::BatchOptions batch = plugin::ReadBatchOptions(reader, options.batch);
  QUARRY_RETURN_NOT_OK(reader.Finish());
  std::lock_guard lock(mu_);
  options.batch = batch;
  return Status::OK();
}

plugin::BatchOptions FakeDestination::batch_options() const {
  std::lock_guard lock(mu_);
  return options.batch;
}

Status FakeDestination::Init(const plugin::PluginContext&, const plugin::DestinationOptions&) {
  return Status::OK();
}

void FakeDestination::RecordLocked(std::string line) {
  calls_.push_back(std::move(line));
  recorded_.notify_all();
}

void FakeDestination::CommitLocked(Rows rows) {
  std::string line = "write";
  for (auto& [table, batches] : rows) {
    int64_t n = 0;
    for (const auto& b : batches) n += b->num_rows();
    line += fmt::format(" {}:{}", table, n);
    auto& kept = committed_[table];
    kept.insert(kept.end(), batches.begin(), batches.end());
  }
  RecordLocked(std::move(line));
}

Status FakeDestination::Migrate(const std::vector<schema::TablePtr>& tables) {
  std::lock_guard lock(mu_);
  std::string line = "migrate";
  for (const auto& t : tables) {
    migrated_[t->name] = t;
    line += " " + t->name;
  }
  RecordLocked(std::move(line));
  return Status::OK();
}

Status FakeDestination::Write(const schema::Table& table,
                              const std::vector<types::RecordBatchPtr>& batches) {
  return WriteAll({{&table, &batches}});
}

Status FakeDestination::WriteAll(const std::vector<plugin::TableWrite>& writes) {
  if (options.before_write) options.before_write(writes);
  std::lock_guard lock(mu_);
  if (++writes_ == options.fail_on_write) return options.write_error;
  Rows rows;
  for (const auto& w : writes) rows.emplace_back(w.table->name, *w.batches);
  if (in_transaction_) {
    open_.insert(open_.end(), rows.begin(), rows.end());
  } else {
    CommitLocked(std::move(rows));
  }
  return Status::OK();
}

Status FakeDestination::Read(const schema::Table& table,
                             const std::function<Status(types::RecordBatchPtr)>& fn) {
  if (!options.readable) return DestinationPlugin::Read(table, fn);
  for (auto& b : Batches(table.name)) QUARRY_RETURN_NOT_OK(fn(std::move(b)));
  return Status::OK();
}

Result<std::unique_ptr<plugin::SyncLock>> FakeDestination::TryLock(std::string_view name) {
  if (!options.lockable) return DestinationPlugin::TryLock(name);
  std::lock_guard lock(mu_);
  if (!locks_.emplace(name).second) {
    return Status::IOError(fmt::format("lock \"{}\" is held by another sync", name));
  }
  return std::unique_ptr<plugin::SyncLock>(std::make_unique<Lock>(*this, std::string(name)));
}

bool FakeDestination::has_transactions() const { return options.transactions; }

Status FakeDestination::BeginTransaction() {
  if (!options.transactions) return DestinationPlugin::BeginTransaction();
  std::lock_guard lock(mu_);
  in_transaction_ = true;
  return Status::OK();
}

Status FakeDestination::CommitTransaction() {
  if (!options.transactions) return DestinationPlugin::CommitTransaction();
  std::lock_guard lock(mu_);
  in_transaction_ = false;
  if (!open_.empty()) CommitLocked(std::move(open_));
  open_.clear();
  return Status::OK();
}

void FakeDestination::RollbackTransaction() {
  std::lock_guard lock(mu_);
  in_transaction_ = false;
  open_.clear();
}

Result<int64_t> FakeDestination::DeleteStale(const schema::Table& table,
                                             std::string_view source_name, int64_t) {
  std::lock_guard lock(mu_);
  RecordLocked(fmt::format("delete_stale {} {}", table.name, source_name));
  return options.stale_rows;
}

}  // namespace quarry::testing
