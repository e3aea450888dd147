// The remote source adapter: a CloudQuery-protocol source plugin behind plugin::SourcePlugin
// (see remote.h).
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <nlohmann/json.hpp>

#include "plugin.grpc.pb.h"
#include "quarry/ipc/cq_table.h"
#include "quarry/ipc/ipc.h"
#include "quarry/rpc/client.h"
#include "quarry/rpc/connection.h"
#include "quarry/rpc/grpc_status.h"
#include "quarry/rpc/remote.h"
#include "quarry/rpc/state_bridge.h"
#include "quarry/rpc/wire.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;

namespace {

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

}  // namespace

std::unique_ptr<plugin::SourcePlugin> NewRemoteSource(std::string_view registry,
                                                      std::string_view path, Logger& logger,
                                                      const RemoteOptions& options) {
  return std::make_unique<RemoteSource>(registry, path, logger, options);
}

}  // namespace quarry::rpc
