#include "quarry/rpc/remote.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "discovery.grpc.pb.h"
#include "plugin.grpc.pb.h"
#include "quarry/base/uuid.h"
#include "quarry/ipc/cq_table.h"
#include "quarry/ipc/ipc.h"
#include "quarry/plugin/spec_reader.h"
#include "quarry/rpc/client.h"
#include "quarry/rpc/grpc_status.h"
#include "quarry/rpc/process.h"
#include "quarry/rpc/state_bridge.h"
#include "quarry/rpc/wire.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;
namespace disc = ::cloudquery::discovery::v1;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(15);
constexpr auto kUnaryTimeout = std::chrono::seconds(120);

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + kUnaryTimeout);
}

// A plugin to talk to: its channel, and the process behind it for `registry: local`.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(std::string_view registry, std::string_view path,
                                                  Logger& logger, const RemoteOptions& options) {
    auto c = std::unique_ptr<Connection>(new Connection());
    // Errors start with the config key they are about, so they point at the `path:` line.
    const std::string where = fmt::format("path: plugin {}", path);
    if (registry == "local") {
      PluginProcess::Options po;
      po.path = std::string(path);
      po.name = std::string(path);
      po.log_level = options.log_level;
      auto proc = PluginProcess::Start(po, logger);
      if (!proc.ok()) return proc.status().WithContext("path");
      c->process_ = proc.MoveValue();
      c->target_ = c->process_->target();
    } else {
      c->target_ = std::string(path);
    }
    c->channel_ = DialPlugin(c->target_);
    // A launched plugin needs a moment to bind its socket: retry until it answers or dies.
    // A launched plugin may take a while to start; one that should already run, less so.
    const auto timeout = registry == "local" ? kConnectTimeout : std::chrono::seconds(5);
    const auto deadline = std::chrono::system_clock::now() + timeout;
    while (!c->channel_->WaitForConnected(std::chrono::system_clock::now() +
                                          std::chrono::milliseconds(200))) {
      if (c->process_ && c->process_->exited()) {
        return Status::IOError(fmt::format("{}: exited before serving; it printed:\n{}", where,
                                           c->process_->LastLines()));
      }
      if (std::chrono::system_clock::now() > deadline) {
        return Status::IOError(
            fmt::format("{}: no gRPC server at {} after {} s", where, c->target_, timeout.count()));
      }
    }
    c->stub_ = pb::Plugin::NewStub(c->channel_);
    // Discovery: the plugin must speak protocol v3.
    auto discovery = disc::Discovery::NewStub(c->channel_);
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    disc::GetVersions::Request req;
    disc::GetVersions::Response resp;
    grpc::Status gs = discovery->GetVersions(&ctx, req, &resp);
    if (gs.ok()) {
      bool v3 = false;
      std::string versions;
      for (int v : resp.versions()) {
        v3 = v3 || v == 3;
        versions += (versions.empty() ? "" : ", ") + std::to_string(v);
      }
      if (!v3) {
        return Status::Invalid(fmt::format(
            "{}: speaks plugin protocol versions [{}]; Quarry speaks version 3", where, versions));
      }
    } else if (gs.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      return FromGrpc(gs, where + ": discovery");
    }
    return c;
  }

  pb::Plugin::Stub& stub() { return *stub_; }

  // `st` with what became of a launched plugin when it is no longer running.
  Status Explain(const Status& st) {
    if (st.ok() || !process_) return st;
    const std::string how = process_->ExitDescription(std::chrono::milliseconds(500));
    if (how.empty()) return st;
    return Status(st.code(), fmt::format("{} (the plugin process {})", st.message(), how));
  }
  const std::string& target() const { return target_; }

  Status Init(const nlohmann::json& spec, bool no_connection) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    pb::Init::Request req;
    req.set_spec(spec.dump());
    req.set_no_connection(no_connection);
    uint8_t id[16];
    UuidGenerator().NextV4(id);
    req.set_invocation_id(FormatUuid(id));
    pb::Init::Response resp;
    return FromGrpc(stub_->Init(&ctx, req, &resp), "init");
  }

  // Calls Close and stops a launched process.
  Status Close() {
    Status st;
    if (stub_) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      pb::Close::Request req;
      pb::Close::Response resp;
      st = FromGrpc(stub_->Close(&ctx, req, &resp), "close");
      stub_.reset();
    }
    // Hang up before stopping the process, so its server has no connection to wait for.
    channel_.reset();
    if (process_) process_->Stop();
    return st;
  }

  ~Connection() {
    // Hang up first: a plugin's server waits for open connections when it stops.
    stub_.reset();
    channel_.reset();
    if (process_) process_->Stop();
  }

 private:
  Connection() = default;
  std::unique_ptr<PluginProcess> process_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Plugin::Stub> stub_;
};

std::string TableNameOf(const types::Schema& s) {
  auto it = s.metadata().find("cq:table_name");
  return it == s.metadata().end() ? std::string() : it->second;
}

class RemoteSource final : public plugin::SourcePlugin {
 public:
  RemoteSource(std::string_view registry, std::string_view path, Logger& logger,
               RemoteOptions options)
      : registry_(registry), path_(path), logger_(logger), options_(std::move(options)) {}

  Status Configure(const nlohmann::json& spec) override {
    spec_ = spec;
    return Status::OK();
  }

  Result<std::vector<schema::TablePtr>> Tables() const override {
    QUARRY_RETURN_NOT_OK(const_cast<RemoteSource*>(this)->Connect());
    return tree_;
  }

  Status Init(const plugin::PluginContext&) override { return Connect(); }

  Status Sync(const plugin::SyncRequest& request, plugin::MessageSink& sink) override {
    QUARRY_RETURN_NOT_OK(Connect());
    std::map<std::string, schema::TablePtr, std::less<>> by_name;
    pb::Sync::Request req;
    for (const auto& t : schema::Flatten(request.tables)) {
      by_name.emplace(t->name, t);
      req.add_tables(t->name);
    }
    // Exactly the selected tables: children come only when selected by name.
    req.set_skip_dependent_tables(true);
    req.set_deterministic_cq_id(request.deterministic_cq_id);
    req.set_witherrormessages(true);
    // With a state backend, the plugin keeps its cursors through a bridge that turns them into
    // Checkpoint messages (rpc/state_bridge.h).
    std::unique_ptr<StateBridge> bridge;
    if (!request.state_table.empty()) {
      auto started = StateBridge::Start(request.state_table, request.state, logger_);
      if (!started.ok()) return started.status().WithContext("state backend");
      bridge = started.MoveValue();
      req.mutable_backend()->set_table_name(request.state_table);
      req.mutable_backend()->set_connection(bridge->target());
    }
    grpc::ClientContext ctx;
    auto reader = conn_->stub().Sync(&ctx, req);
    const ConformOptions conform{request.source_name, request.sync_time_us};
    pb::Sync::Response resp;
    Status st;
    bool warned_delete = false;
    auto table_for = [&](const std::string& name) -> Result<schema::TablePtr> {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return Status::Invalid(
            fmt::format("sent rows of table \"{}\", which was not requested", name));
      }
      return it->second;
    };
    while (st.ok() && reader->Read(&resp)) {
      switch (resp.message_case()) {
        case pb::Sync::Response::kMigrateTable: {
          auto t = ipc::DecodeTable(resp.migrate_table().table());
          if (!t.ok()) {
            st = t.status().WithContext("migrate_table");
            break;
          }
          auto mine = table_for((*t)->name);
          if (!mine.ok()) {
            st = mine.status();
            break;
          }
          st = sink.Send(message::MigrateTable{*mine});
          break;
        }
        case pb::Sync::Response::kInsert: {
          auto rec = ipc::DecodeRecord(resp.insert().record());
          if (!rec.ok()) {
            st = rec.status().WithContext("insert");
            break;
          }
          auto mine = table_for(TableNameOf(*(*rec)->schema()));
          if (!mine.ok()) {
            st = mine.status();
            break;
          }
          auto batch = ConformBatch(**mine, **rec, conform);
          if (!batch.ok()) {
            st = batch.status();
            break;
          }
          st = sink.Send(message::Insert{*mine, batch.MoveValue()});
          break;
        }
        case pb::Sync::Response::kError:
          st = sink.Send(message::TableError{resp.error().table_name(), resp.error().error()});
          break;
        case pb::Sync::Response::kDeleteRecord:
          if (!warned_delete) {
            logger_.Warn(
                fmt::format("plugin {}: delete_record messages are not supported and "
                            "were ignored (table {})",
                            path_, resp.delete_record().table_name()));
            warned_delete = true;
          }
          break;
        default:
          break;
      }
    }
    if (!st.ok()) ctx.TryCancel();
    grpc::Status gs = reader->Finish();
    if (!st.ok()) return st;
    QUARRY_RETURN_NOT_OK(conn_->Explain(FromGrpc(gs, "sync")));
    // The plugin's Sync has returned, so every row it sent is behind us: the cursors it wrote
    // cover them all.
    if (bridge) {
      for (auto& [key, value] : bridge->Written()) {
        QUARRY_RETURN_NOT_OK(sink.Send(message::Checkpoint{std::move(key), std::move(value)}));
      }
    }
    return Status::OK();
  }

  Status Close() override {
    if (!conn_) return Status::OK();
    Status st = conn_->Close();
    conn_.reset();
    return st;
  }

 private:
  Status Connect() {
    if (conn_) return Status::OK();
    if (!connect_error_.ok()) return connect_error_;
    Status st = ConnectOnce();
    if (!st.ok()) {
      connect_error_ = st;
      conn_.reset();
    }
    return st;
  }

  Status ConnectOnce() {
    QUARRY_ASSIGN_OR_RETURN(conn_, Connection::Open(registry_, path_, logger_, options_));
    QUARRY_RETURN_NOT_OK(conn_->Init(spec_, false));
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    pb::GetTables::Request req;
    req.add_tables("*");
    req.set_skip_dependent_tables(false);
    pb::GetTables::Response resp;
    QUARRY_RETURN_NOT_OK(FromGrpc(conn_->stub().GetTables(&ctx, req, &resp), "get tables"));
    std::vector<schema::TablePtr> flat;
    for (const auto& bytes : resp.tables()) {
      auto t = ipc::DecodeTable(bytes);
      if (!t.ok()) return t.status().WithContext("get tables");
      flat.push_back(t.MoveValue());
    }
    QUARRY_ASSIGN_OR_RETURN(tree_, ipc::BuildTableTree(flat));
    return Status::OK();
  }

  std::string registry_, path_;
  Logger& logger_;
  RemoteOptions options_;
  nlohmann::json spec_ = nlohmann::json::object();
  std::unique_ptr<Connection> conn_;
  Status connect_error_;
  std::vector<schema::TablePtr> tree_;
};

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

std::unique_ptr<plugin::SourcePlugin> NewRemoteSource(std::string_view registry,
                                                      std::string_view path, Logger& logger,
                                                      const RemoteOptions& options) {
  return std::make_unique<RemoteSource>(registry, path, logger, options);
}

std::unique_ptr<plugin::DestinationPlugin> NewRemoteDestination(std::string_view registry,
                                                                std::string_view path,
                                                                Logger& logger,
                                                                const RemoteOptions& options) {
  return std::make_unique<RemoteDestination>(registry, path, logger, options);
}

void RegisterRemotePlugins(plugin::PluginRegistry& registry, Logger& logger,
                           const RemoteOptions& options) {
  registry.SetRemoteFactories(
      [&logger, options](std::string_view reg, std::string_view path) {
        return NewRemoteSource(reg, path, logger, options);
      },
      [&logger, options](std::string_view reg, std::string_view path) {
        return NewRemoteDestination(reg, path, logger, options);
      });
}

}  // namespace quarry::rpc
