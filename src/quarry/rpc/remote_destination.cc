// The remote destination adapter: a CloudQuery-protocol destination plugin behind
// plugin::DestinationPlugin (see remote.h).
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <nlohmann/json.hpp>

#include "plugin.grpc.pb.h"
#include "quarry/ipc/cq_table.h"
#include "quarry/ipc/ipc.h"
#include "quarry/plugin/spec_reader.h"
#include "quarry/rpc/client.h"
#include "quarry/rpc/connection.h"
#include "quarry/rpc/grpc_status.h"
#include "quarry/rpc/remote.h"
#include "quarry/rpc/wire.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;

namespace {

class RemoteDestination final : public plugin::DestinationPlugin {
 public:
  RemoteDestination(std::string_view registry, std::string_view path, Logger& logger,
                    RemoteOptions options)
      : registry_(registry), path_(path), logger_(logger), options_(std::move(options)) {}

  Status Configure(const nlohmann::json& spec) override {
    spec_ = spec;
    // The SDK writers' defaults; the plugin batches again on its side.
    batch_ = plugin::BatchOptions{10'000, 5 * 1024 * 1024, 20'000'000};
    // The spec is the plugin's to judge; Quarry only borrows its integer batch sizes, and reads
    // them as strictly as its own options: 18446744073709551615 is too large, not -1.
    nlohmann::json sizes = nlohmann::json::object();
    if (spec.is_object()) {
      for (const char* key : {"batch_size", "batch_size_bytes"}) {
        if (auto it = spec.find(key); it != spec.end() && it->is_number_integer()) sizes[key] = *it;
      }
    }
    plugin::SpecReader reader(sizes);
    batch_.batch_size = reader.Int("batch_size", batch_.batch_size, 1);
    batch_.batch_size_bytes = reader.Bytes("batch_size_bytes", batch_.batch_size_bytes);
    return reader.Finish();
  }

  plugin::BatchOptions batch_options() const override { return batch_; }

  Status Init(const plugin::PluginContext&, const plugin::DestinationOptions& options) override {
    write_mode_ = options.write_mode;
    forced_ = options.migrate_mode == plugin::MigrateMode::kForced;
    QUARRY_ASSIGN_OR_RETURN(conn_, Connection::Open(registry_, path_, logger_, options_));
    return conn_->Init(spec_, false);
  }

  Status Migrate(const std::vector<schema::TablePtr>& tables) override {
    return Stream("migrate", [&](grpc::ClientWriter<pb::Write::Request>& w) {
      for (const auto& t : tables) {
        pb::Write::Request req;
        req.mutable_migrate_table()->set_table(ipc::EncodeTable(*Outgoing(*t)));
        req.mutable_migrate_table()->set_migrate_force(forced_);
        if (!w.Write(req)) return false;
      }
      return true;
    });
  }

  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override {
    schema::TablePtr out = Outgoing(table);
    return Stream(fmt::format("write {}", table.name),
                  [&](grpc::ClientWriter<pb::Write::Request>& w) {
                    for (const auto& b : batches) {
                      types::RecordBatch rb(out->arrow_schema, b->num_rows(), Columns(*b));
                      pb::Write::Request req;
                      req.mutable_insert()->set_record(ipc::EncodeRecord(rb));
                      if (!w.Write(req)) return false;
                    }
                    return true;
                  });
  }

  // Plugins built before table_name read only the (now deprecated) table field.
  static void SetDeprecatedTable(pb::Write::MessageDeleteStale* d, std::string encoded) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    d->set_table(std::move(encoded));
#pragma GCC diagnostic pop
  }

  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override {
    QUARRY_RETURN_NOT_OK(Stream(
        fmt::format("delete stale {}", table.name), [&](grpc::ClientWriter<pb::Write::Request>& w) {
          pb::Write::Request req;
          auto* d = req.mutable_delete_();
          d->set_table_name(table.name);
          SetDeprecatedTable(d, ipc::EncodeTable(*Outgoing(table)));
          d->set_source_name(std::string(source_name));
          d->mutable_sync_time()->set_seconds(sync_time_us / 1'000'000);
          d->mutable_sync_time()->set_nanos(static_cast<int32_t>(sync_time_us % 1'000'000) * 1000);
          return w.Write(req);
        }));
    return int64_t{0};  // the protocol does not report how many rows went
  }

  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override {
    if (!conn_) return Status::Invalid("read: not initialized");
    return ReadRecords(conn_->stub(), *Outgoing(table), [&](const types::RecordBatch& rec) {
      auto batch = ConformBatch(table, rec, {});
      return batch.ok() ? fn(batch.MoveValue()) : batch.status();
    });
  }

  Status Close() override {
    if (!conn_) return Status::OK();
    Status st = conn_->Close();
    conn_.reset();
    return st;
  }

 private:
  // One Write stream: `fill` sends the messages; the stream is closed and its answer awaited.
  Status Stream(const std::string& what,
                const std::function<bool(grpc::ClientWriter<pb::Write::Request>&)>& fill) {
    if (!conn_) return Status::Invalid(what + ": not initialized");
    return conn_->Explain(WriteStream(conn_->stub(), what, fill));
  }

  // The table as this destination's write mode sends it.
  schema::TablePtr Outgoing(const schema::Table& table) {
    auto it = outgoing_.find(table.name);
    if (it != outgoing_.end() && it->second.first == table.arrow_schema) return it->second.second;
    schema::TablePtr t = write_mode_ == plugin::WriteMode::kAppend
                             ? WithoutKeys(table)
                             : std::make_shared<const schema::Table>(table);
    outgoing_[table.name] = {table.arrow_schema, t};
    return t;
  }

  static std::vector<types::ArrayPtr> Columns(const types::RecordBatch& b) {
    std::vector<types::ArrayPtr> cols;
    cols.reserve(static_cast<size_t>(b.num_columns()));
    for (int i = 0; i < b.num_columns(); ++i) cols.push_back(b.column_ptr(i));
    return cols;
  }

  std::string registry_, path_;
  Logger& logger_;
  RemoteOptions options_;
  nlohmann::json spec_ = nlohmann::json::object();
  plugin::BatchOptions batch_;
  plugin::WriteMode write_mode_ = plugin::WriteMode::kOverwriteDeleteStale;
  bool forced_ = false;
  std::unique_ptr<Connection> conn_;
  // By table name: the arrow schema it was made from, and the table as sent.
  std::map<std::string, std::pair<types::SchemaPtr, schema::TablePtr>> outgoing_;
};

}  // namespace

std::unique_ptr<plugin::DestinationPlugin> NewRemoteDestination(std::string_view registry,
                                                                std::string_view path,
                                                                Logger& logger,
                                                                const RemoteOptions& options) {
  return std::make_unique<RemoteDestination>(registry, path, logger, options);
}

}  // namespace quarry::rpc
