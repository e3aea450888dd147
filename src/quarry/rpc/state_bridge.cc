#include "quarry/rpc/state_bridge.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>

#include "quarry/plugin/destination.h"
#include "quarry/plugin/registry.h"
#include "quarry/rpc/server.h"
#include "quarry/types/record_batch.h"

namespace quarry::rpc {

namespace {

constexpr std::string_view kPluginName = "quarry-state";

// What the served destination instances share: the cursors to answer and the ones written.
struct Store {
  std::string table;
  std::map<std::string, std::string> saved;
  mutable std::mutex mu;
  std::vector<std::pair<std::string, std::string>> written;  // guarded by mu
};

class StateTableDestination final : public plugin::DestinationPlugin {
 public:
  explicit StateTableDestination(Store& store) : store_(store) {}

  Status Configure(const nlohmann::json&) override { return Status::OK(); }
  Status Init(const plugin::PluginContext&, const plugin::DestinationOptions&) override {
    return Status::OK();
  }

  Status Migrate(const std::vector<schema::TablePtr>& tables) override {
    for (const auto& t : tables) QUARRY_RETURN_NOT_OK(CheckTable(*t));
    return Status::OK();
  }

  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    QUARRY_RETURN_NOT_OK(CheckTable(table));
    for (const auto& batch : batches) {
      const int k = batch->schema()->IndexOf("key");
      const int v = batch->schema()->IndexOf("value");
      if (k < 0 || v < 0) {
        return Status::Invalid(
            fmt::format("state table {}: rows need columns key and value", table.name));
      }
      std::lock_guard lock(store_.mu);
      for (int64_t r = 0; r < batch->num_rows(); ++r) {
        if (batch->column(k).IsNull(r)) {
          return Status::Invalid(fmt::format("state table {}: row {} has no key", table.name, r));
        }
        std::string key(batch->column(k).GetView(r));
        std::string value(batch->column(v).IsNull(r) ? "" : batch->column(v).GetView(r));
        auto it = std::find_if(store_.written.begin(), store_.written.end(),
                               [&](const auto& e) { return e.first == key; });
        if (it == store_.written.end()) {
          store_.written.emplace_back(std::move(key), std::move(value));
        } else {
          it->second = std::move(value);
        }
      }
    }
    return Status::OK();
  }

  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override {
    QUARRY_RETURN_NOT_OK(CheckTable(table));
    if (store_.saved.empty()) return Status::OK();
    types::RecordBatchBuilder b(table.arrow_schema);
    const auto& fields = table.arrow_schema->fields();
    for (const auto& [key, value] : store_.saved) {
      for (size_t i = 0; i < fields.size(); ++i) {
        types::ArrayBuilder& col = b.column(static_cast<int>(i));
        const types::TypeId id = fields[i].type->id();
        const bool text = id == types::TypeId::kUtf8 || id == types::TypeId::kBinary;
        if (fields[i].name == "key" && text) {
          col.AppendBytes(key);
        } else if (fields[i].name == "value" && text) {
          col.AppendBytes(value);
        } else if (fields[i].name == "version" && id == types::TypeId::kUint64) {
          col.Append<uint64_t>(1);
        } else if (fields[i].name == "version" && id == types::TypeId::kInt64) {
          col.Append<int64_t>(1);
        } else {
          col.AppendNull();
        }
      }
    }
    QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, b.Finish());
    return fn(std::move(batch));
  }

  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view, int64_t) override {
    QUARRY_RETURN_NOT_OK(CheckTable(table));
    return int64_t{0};
  }

 private:
  Status CheckTable(const schema::Table& table) const {
    if (table.name == store_.table) return Status::OK();
    return Status::Invalid(fmt::format(
        "the state backend holds only the state table {}, not table {}", store_.table, table.name));
  }

  Store& store_;
};

}  // namespace

struct StateBridge::Impl {
  Store store;
  plugin::PluginRegistry registry;
  std::string dir;
  std::unique_ptr<PluginServer> server;

  ~Impl() {
    if (server) server->Shutdown();
    server.reset();
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

Result<std::unique_ptr<StateBridge>> StateBridge::Start(std::string state_table,
                                                        std::map<std::string, std::string> saved,
                                                        Logger& logger) {
  auto impl = std::make_unique<Impl>();
  impl->store.table = std::move(state_table);
  impl->store.saved = std::move(saved);
  Store* store = &impl->store;
  impl->registry.AddDestination(std::string(kPluginName), [store] {
    return std::make_unique<StateTableDestination>(*store);
  });
  char tmpl[] = "/tmp/quarry-state-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Status::IOError("cannot create a socket directory");
  impl->dir = tmpl;
  ServeOptions so;
  so.plugin = std::string(kPluginName);
  so.kind = "destination";
  so.network = "unix";
  so.address = impl->dir + "/state.sock";
  so.init_spec = "{}";
  QUARRY_ASSIGN_OR_RETURN(impl->server, PluginServer::Start(impl->registry, so, logger));
  return std::unique_ptr<StateBridge>(new StateBridge(std::move(impl)));
}

StateBridge::StateBridge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StateBridge::~StateBridge() = default;

const std::string& StateBridge::target() const { return impl_->server->target(); }

std::vector<std::pair<std::string, std::string>> StateBridge::Written() const {
  std::lock_guard lock(impl_->store.mu);
  return impl_->store.written;
}

}  // namespace quarry::rpc
