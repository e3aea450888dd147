#include "plugins/destination/test/test_destination.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "plugins/destination/sqlite/sqlite_destination.h"
#include "quarry/plugin/spec_reader.h"

namespace quarry::plugins {
namespace {

class TestDestination final : public plugin::DestinationPlugin {
 public:
  TestDestination() : inner_(NewSqliteDestination()) {}

  Status Configure(const nlohmann::json& spec) override {
    nlohmann::json rest = spec.is_object() ? spec : nlohmann::json::object();
    if (auto it = rest.find("fail_on_write"); it != rest.end()) {
      // Its own option, read as strictly as the inner destination reads the rest.
      const nlohmann::json own = {{"fail_on_write", *it}};
      plugin::SpecReader reader(own);
      fail_on_write_ = reader.Int("fail_on_write", 0, 1);
      QUARRY_RETURN_NOT_OK(reader.Finish());
      rest.erase(it);
    }
    return inner_->Configure(rest);
  }
  plugin::BatchOptions batch_options() const override { return inner_->batch_options(); }
  Status Init(const plugin::PluginContext& ctx,
              const plugin::DestinationOptions& options) override {
    return inner_->Init(ctx, options);
  }
  Status Migrate(const std::vector<schema::TablePtr>& tables) override {
    return inner_->Migrate(tables);
  }
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    QUARRY_RETURN_NOT_OK(CountWrite());
    return inner_->Write(table, batches);
  }
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override {
    QUARRY_RETURN_NOT_OK(CountWrite());
    return inner_->WriteAll(writes);
  }
  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override {
    return inner_->Read(table, fn);
  }
  Result<std::unique_ptr<plugin::SyncLock>> TryLock(std::string_view name) override {
    return inner_->TryLock(name);
  }
  bool has_transactions() const override { return inner_->has_transactions(); }
  Status BeginTransaction() override { return inner_->BeginTransaction(); }
  Status CommitTransaction() override { return inner_->CommitTransaction(); }
  void RollbackTransaction() override { inner_->RollbackTransaction(); }
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override {
    return inner_->DeleteStale(table, source_name, sync_time_us);
  }
  Status Close() override { return inner_->Close(); }

 private:
  Status CountWrite() {
    if (++writes_ == fail_on_write_) {
      return Status::IOError(fmt::format("injected failure on write {} (fail_on_write)", writes_));
    }
    return Status::OK();
  }

  std::unique_ptr<plugin::DestinationPlugin> inner_;
  int64_t fail_on_write_ = 0;
  int64_t writes_ = 0;
};

}  // namespace

std::unique_ptr<plugin::DestinationPlugin> NewTestDestination() {
  return std::make_unique<TestDestination>();
}

}  // namespace quarry::plugins
