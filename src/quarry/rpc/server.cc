#include "quarry/rpc/server.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "discovery.grpc.pb.h"
#include "plugin.grpc.pb.h"
#include "quarry/base/channel.h"
#include "quarry/base/time.h"
#include "quarry/ipc/cq_table.h"
#include "quarry/ipc/ipc.h"
#include "quarry/rpc/client.h"
#include "quarry/rpc/grpc_status.h"
#include "quarry/rpc/served_sync.h"
#include "quarry/rpc/wire.h"
#include "quarry/writer/batch_writer.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;
namespace disc = ::cloudquery::discovery::v1;

namespace {

Result<nlohmann::json> ParseSpec(const std::string& bytes) {
  if (bytes.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return Status::Invalid("spec: not valid JSON");
  if (j.is_null()) return nlohmann::json::object();
  if (!j.is_object()) return Status::Invalid("spec: must be a JSON object");
  return j;
}

plugin::DestinationOptions ServedDestinationOptions(const std::string& name, bool forced) {
  plugin::DestinationOptions d;
  d.name = name;
  // The protocol carries the write mode in the messages: tables without primary keys are
  // appended to (CloudQuery removes them for append), others upserted; stale rows go only when a
  // delete message says so.
  d.write_mode = plugin::WriteMode::kOverwriteDeleteStale;
  d.migrate_mode = forced ? plugin::MigrateMode::kForced : plugin::MigrateMode::kSafe;
  return d;
}

class DiscoveryService final : public disc::Discovery::Service {
  grpc::Status GetVersions(grpc::ServerContext*, const disc::GetVersions::Request*,
                           disc::GetVersions::Response* resp) override {
    resp->add_versions(3);
    return grpc::Status::OK;
  }
};

class PluginService final : public pb::Plugin::Service {
 public:
  PluginService(const plugin::PluginRegistry& registry, const ServeOptions& options, Logger& logger)
      : registry_(registry), options_(options), logger_(logger) {
    const auto sources = registry.source_names();
    const auto dests = registry.destination_names();
    has_source_ = options.kind != "destination" &&
                  std::find(sources.begin(), sources.end(), options.plugin) != sources.end();
    has_destination_ = options.kind != "source" &&
                       std::find(dests.begin(), dests.end(), options.plugin) != dests.end();
  }

  bool serves_something() const { return has_source_ || has_destination_; }

  grpc::Status GetName(grpc::ServerContext*, const pb::GetName::Request*,
                       pb::GetName::Response* resp) override {
    resp->set_name(options_.plugin);
    return grpc::Status::OK;
  }

  grpc::Status GetVersion(grpc::ServerContext*, const pb::GetVersion::Request*,
                          pb::GetVersion::Response* resp) override {
    resp->set_version(options_.version);
    return grpc::Status::OK;
  }

  grpc::Status GetSpecSchema(grpc::ServerContext*, const pb::GetSpecSchema::Request*,
                             pb::GetSpecSchema::Response*) override {
    return grpc::Status::OK;  // no JSON schema: options are checked strictly by Init
  }

  grpc::Status Init(grpc::ServerContext*, const pb::Init::Request* req,
                    pb::Init::Response*) override {
    return ToGrpc(InitWith(req->spec(), req->no_connection()));
  }

  Status InitWith(const std::string& spec_bytes, bool no_connection) {
    auto spec = ParseSpec(spec_bytes);
    if (!spec.ok()) return spec.status();
    Status src_st = Status::Invalid(fmt::format("{} is not a source", options_.plugin));
    Status dst_st = Status::Invalid(fmt::format("{} is not a destination", options_.plugin));
    std::unique_ptr<plugin::SourcePlugin> source;
    if (has_source_) {
      auto made = MakeSource(*spec);
      src_st = made.status();
      if (made.ok()) source = made.MoveValue();
      if (src_st.ok() && !no_connection) src_st = CheckSourceConnection(*spec);
    }
    if (has_destination_) {
      auto made = MakeDestination(*spec, false, !no_connection);
      dst_st = made.status();
      if (made.ok()) (void)(*made)->Close();
    }
    if (!src_st.ok() && !dst_st.ok()) {
      if (has_source_ && !has_destination_) return src_st.WithContext("init");
      if (has_destination_ && !has_source_) return dst_st.WithContext("init");
      return Status::Invalid(fmt::format("init: as a source: {}; as a destination: {}",
                                         src_st.message(), dst_st.message()));
    }
    (void)DrainPool();  // connections made with an earlier spec
    std::lock_guard lock(mu_);
    spec_ = *spec;
    source_status_ = src_st;
    destination_status_ = dst_st;
    source_ = std::move(source);
    initialized_ = true;
    logger_.Info(fmt::format("plugin {} initialized ({}{}{})", options_.plugin,
                             src_st.ok() ? "source" : "", src_st.ok() && dst_st.ok() ? " and " : "",
                             dst_st.ok() ? "destination" : ""));
    return Status::OK();
  }

  grpc::Status GetTables(grpc::ServerContext*, const pb::GetTables::Request* req,
                         pb::GetTables::Response* resp) override {
    std::lock_guard lock(mu_);
    if (Status st = SourceReady(); !st.ok()) return ToGrpc(st);
    auto tables = Select(*source_, req->tables(), req->skip_tables(), req->skip_dependent_tables());
    if (!tables.ok()) return ToGrpc(tables.status());
    for (const auto& t : schema::Flatten(*tables)) {
      resp->add_tables(ipc::EncodeTable(*StripOrchestratorColumns(*t)));
    }
    return grpc::Status::OK;
  }

  grpc::Status Sync(grpc::ServerContext* ctx, const pb::Sync::Request* req,
                    grpc::ServerWriter<pb::Sync::Response>* writer) override {
    nlohmann::json spec;
    {
      std::lock_guard lock(mu_);
      if (Status st = SourceReady(); !st.ok()) return ToGrpc(st);
      spec = spec_;
    }
    // A connection of its own for this sync.
    auto made = MakeSource(spec);
    if (!made.ok()) return ToGrpc(made.status());
    plugin::SourcePlugin& src = **made;
    auto tables = Select(src, req->tables(), req->skip_tables(), req->skip_dependent_tables());
    if (!tables.ok()) return ToGrpc(tables.status());
    plugin::PluginContext pctx{&logger_};
    if (Status st = src.Init(pctx); !st.ok()) return ToGrpc(st.WithContext("init"));
    plugin::SyncRequest sreq;
    sreq.tables = *tables;
    sreq.source_name = options_.plugin;
    sreq.sync_time_us = NowMicros();
    sreq.deterministic_cq_id = req->deterministic_cq_id();
    std::unique_ptr<StateClient> state;
    if (!req->backend().connection().empty()) {
      auto opened = StateClient::Open(req->backend().connection(), req->backend().table_name());
      if (!opened.ok()) return ToGrpc(opened.status().WithContext("sync"));
      state = opened.MoveValue();
      sreq.state = state->values();
    }
    SyncSink sink(ctx, writer);
    Status st = src.Sync(sreq, sink);
    if (st.ok() && state) st = state->Save(sink.cursors());
    Status cst = src.Close();
    if (st.ok()) st = cst;
    return ToGrpc(st.WithContext("sync"));
  }

  grpc::Status Write(grpc::ServerContext* ctx, grpc::ServerReader<pb::Write::Request>* reader,
                     pb::Write::Response*) override {
    nlohmann::json spec;
    {
      std::lock_guard lock(mu_);
      if (Status st = DestinationReady(); !st.ok()) return ToGrpc(st);
      spec = spec_;
    }
    std::unique_ptr<plugin::DestinationPlugin> dest;
    bool forced = false;
    Channel<message::Message> channel(16);
    std::unique_ptr<writer::BatchWriter> bw;
    Status writer_status;
    std::jthread thread;
    std::map<std::string, schema::TablePtr> tables;  // by name, as this stream declared them
    Status st;
    pb::Write::Request req;
    while (st.ok() && reader->Read(&req)) {
      if (!dest) {
        // The first message decides whether migrations may rebuild tables.
        forced = req.has_migrate_table() && req.migrate_table().migrate_force();
        auto made = AcquireDestination(spec, forced);
        if (!made.ok()) return ToGrpc(made.status());
        dest = made.MoveValue();
        writer::WriterOptions wo;
        wo.batch = dest->batch_options();
        bw = std::make_unique<writer::BatchWriter>(*dest, std::move(wo));
        thread = std::jthread([&] { writer_status = bw->Run(channel); });
      }
      st = Handle(req, &tables, &channel);
    }
    channel.Close();
    if (thread.joinable()) thread.join();
    if (st.ok()) st = writer_status;
    if (dest) ReleaseDestination(std::move(dest), forced, st.ok());
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "write cancelled");
    return ToGrpc(st.WithContext("write"));
  }

  grpc::Status Read(grpc::ServerContext*, const pb::Read::Request* req,
                    grpc::ServerWriter<pb::Read::Response>* writer) override {
    nlohmann::json spec;
    {
      std::lock_guard lock(mu_);
      if (Status st = DestinationReady(); !st.ok()) return ToGrpc(st);
      spec = spec_;
    }
    auto table = ipc::DecodeTable(req->table());
    if (!table.ok()) return ToGrpc(table.status().WithContext("read: table"));
    auto made = AcquireDestination(spec, false);
    if (!made.ok()) return ToGrpc(made.status());
    auto dest = made.MoveValue();
    Status st = dest->Read(**table, [&](types::RecordBatchPtr batch) -> Status {
      pb::Read::Response resp;
      resp.set_record(ipc::EncodeRecord(*batch));
      if (!writer->Write(resp)) return Status::Cancelled("the client went away");
      return Status::OK();
    });
    ReleaseDestination(std::move(dest), false, st.ok());
    return ToGrpc(st.WithContext(fmt::format("read {}", (*table)->name)));
  }

  grpc::Status Close(grpc::ServerContext*, const pb::Close::Request*,
                     pb::Close::Response*) override {
    if (Status st = DrainPool(); !st.ok()) return ToGrpc(st.WithContext("close"));
    std::lock_guard lock(mu_);
    if (source_) {
      Status st = source_->Close();
      source_.reset();
      if (!st.ok()) return ToGrpc(st.WithContext("close"));
    }
    return grpc::Status::OK;
  }

  grpc::Status TestConnection(grpc::ServerContext*, const pb::TestConnection::Request* req,
                              pb::TestConnection::Response* resp) override {
    auto spec = ParseSpec(req->spec());
    if (!spec.ok()) {
      resp->set_success(false);
      resp->set_failure_code("INVALID_SPEC");
      resp->set_failure_description(spec.status().message());
      return grpc::Status::OK;
    }
    Status st = Status::Invalid("nothing to test");
    if (has_destination_) {
      auto made = MakeDestination(*spec, false, true);
      st = made.status();
      if (made.ok()) st = (*made)->Close();
    }
    if (!st.ok() && has_source_) st = CheckSourceConnection(*spec);
    resp->set_success(st.ok());
    if (!st.ok()) {
      resp->set_failure_code(st.IsInvalid() ? "INVALID_SPEC" : "CONNECTION_FAILED");
      resp->set_failure_description(st.message());
    }
    return grpc::Status::OK;
  }

 private:
  Status SourceReady() const {
    if (!initialized_) return Status::Invalid("the plugin is not initialized: call Init first");
    if (!source_status_.ok()) return source_status_;
    if (!source_) return Status::Invalid("the plugin was closed: call Init again");
    return Status::OK();
  }

  Status DestinationReady() const {
    if (!initialized_) return Status::Invalid("the plugin is not initialized: call Init first");
    return destination_status_;
  }

  // Destination instances are kept between calls: opening a connection per Write stream (a
  // client may send one per batch) would cost more than the write — for SQLite, closing the last
  // connection even checkpoints the whole WAL. A failed instance is closed, never reused.
  Result<std::unique_ptr<plugin::DestinationPlugin>> AcquireDestination(const nlohmann::json& spec,
                                                                        bool forced) {
    {
      std::lock_guard lock(pool_mu_);
      auto& pool = pool_[forced ? 1 : 0];
      if (!pool.empty()) {
        auto d = std::move(pool.back());
        pool.pop_back();
        return d;
      }
    }
    return MakeDestination(spec, forced, true);
  }

  void ReleaseDestination(std::unique_ptr<plugin::DestinationPlugin> d, bool forced, bool ok) {
    if (ok) {
      std::lock_guard lock(pool_mu_);
      auto& pool = pool_[forced ? 1 : 0];
      if (pool.size() < kPoolSize) {
        pool.push_back(std::move(d));
        return;
      }
    }
    Status st = d->Close();
    if (!st.ok()) logger_.Warn(fmt::format("plugin {}: close: {}", options_.plugin, st.message()));
  }

 public:
  // Closes the kept destination instances.
  Status DrainPool() {
    std::vector<std::unique_ptr<plugin::DestinationPlugin>> all;
    {
      std::lock_guard lock(pool_mu_);
      for (auto& pool : pool_) {
        for (auto& d : pool) all.push_back(std::move(d));
        pool.clear();
      }
    }
    Status first;
    for (auto& d : all) {
      Status st = d->Close();
      if (first.ok()) first = st;
    }
    return first;
  }

 public:
  ~PluginService() override { (void)DrainPool(); }

 private:
  Result<std::unique_ptr<plugin::SourcePlugin>> MakeSource(const nlohmann::json& spec) const {
    QUARRY_ASSIGN_OR_RETURN(auto src, registry_.MakeSource("cloudquery", options_.plugin));
    QUARRY_RETURN_NOT_OK(src->Configure(spec));
    return src;
  }

  Status CheckSourceConnection(const nlohmann::json& spec) const {
    QUARRY_ASSIGN_OR_RETURN(auto src, MakeSource(spec));
    plugin::PluginContext pctx{&logger_};
    QUARRY_RETURN_NOT_OK(src->Init(pctx));
    return src->Close();
  }

  Result<std::unique_ptr<plugin::DestinationPlugin>> MakeDestination(const nlohmann::json& spec,
                                                                     bool forced,
                                                                     bool connect) const {
    QUARRY_ASSIGN_OR_RETURN(auto dest, registry_.MakeDestination("cloudquery", options_.plugin));
    QUARRY_RETURN_NOT_OK(dest->Configure(spec));
    if (connect) {
      plugin::PluginContext pctx{&logger_};
      QUARRY_RETURN_NOT_OK(dest->Init(pctx, ServedDestinationOptions(options_.plugin, forced)));
    }
    return dest;
  }

  static Result<std::vector<schema::TablePtr>> Select(
      const plugin::SourcePlugin& src,
      const google::protobuf::RepeatedPtrField<std::string>& tables,
      const google::protobuf::RepeatedPtrField<std::string>& skip, bool skip_dependent) {
    QUARRY_ASSIGN_OR_RETURN(auto tree, src.Tables());
    schema::TableSelection sel;
    sel.tables.assign(tables.begin(), tables.end());
    if (sel.tables.empty()) sel.tables.push_back("*");
    sel.skip_tables.assign(skip.begin(), skip.end());
    sel.skip_dependent_tables = skip_dependent;
    QUARRY_ASSIGN_OR_RETURN(auto selected, schema::SelectTables(tree, sel));
    std::vector<schema::TablePtr> out;
    for (const auto& t : selected) out.push_back(schema::WithCqColumns(*t));
    return out;
  }

  // One Write message into the writer's channel.
  Status Handle(const pb::Write::Request& req, std::map<std::string, schema::TablePtr>* tables,
                Channel<message::Message>* channel) {
    auto table_of = [&](const types::Schema& s) -> Result<schema::TablePtr> {
      auto it = s.metadata().find("cq:table_name");
      if (it == s.metadata().end()) return Status::Invalid("record without cq:table_name");
      auto t = tables->find(it->second);
      if (t != tables->end()) return t->second;
      // A table migrated by an earlier stream (a client may send one stream per batch): the
      // record must fit it.
      {
        std::lock_guard lock(migrated_mu_);
        auto m = migrated_.find(it->second);
        if (m != migrated_.end()) {
          tables->emplace(m->first, m->second);
          return m->second;
        }
      }
      // Otherwise a record repeats its table's schema: enough to write it to a table that exists.
      QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table, ipc::TableFromSchema(s));
      tables->emplace(table->name, table);
      return table;
    };
    switch (req.message_case()) {
      case pb::Write::Request::kMigrateTable: {
        QUARRY_ASSIGN_OR_RETURN(schema::TablePtr t, ipc::DecodeTable(req.migrate_table().table()));
        (*tables)[t->name] = t;
        {
          std::lock_guard lock(migrated_mu_);
          migrated_[t->name] = t;
        }
        channel->Push(message::MigrateTable{t});
        return Status::OK();
      }
      case pb::Write::Request::kInsert: {
        QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr rec,
                                ipc::DecodeRecord(req.insert().record()));
        QUARRY_ASSIGN_OR_RETURN(schema::TablePtr t, table_of(*rec->schema()));
        QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, ConformBatch(*t, *rec, {}));
        channel->Push(message::Insert{t, std::move(batch)});
        return Status::OK();
      }
      case pb::Write::Request::kDelete: {
        const auto& d = req.delete_();
        std::string name = d.table_name();
        schema::TablePtr t;
        // Clients of protocol v3 before table_name sent only the (now deprecated) table.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        if (name.empty() && !d.table().empty()) {
          QUARRY_ASSIGN_OR_RETURN(t, ipc::DecodeTable(d.table()));
          name = t->name;
        }
#pragma GCC diagnostic pop
        if (auto it = tables->find(name); it != tables->end()) t = it->second;
        if (!t) {
          schema::Table bare;
          bare.name = name;
          QUARRY_ASSIGN_OR_RETURN(t, schema::Finalize(bare));
        }
        const int64_t us = d.sync_time().seconds() * 1'000'000 + d.sync_time().nanos() / 1000;
        channel->Push(message::DeleteStale{t, d.source_name(), us});
        return Status::OK();
      }
      case pb::Write::Request::kDeleteRecord:
        return Status::Invalid(
            fmt::format("delete_record (table {}) is not supported by Quarry's destinations",
                        req.delete_record().table_name()));
      default:
        return Status::Invalid("empty write message");
    }
  }

  const plugin::PluginRegistry& registry_;
  const ServeOptions options_;
  Logger& logger_;
  bool has_source_ = false;
  bool has_destination_ = false;

  std::mutex mu_;
  bool initialized_ = false;
  nlohmann::json spec_;
  Status source_status_;
  Status destination_status_;
  std::unique_ptr<plugin::SourcePlugin> source_;  // configured, for GetTables

  std::mutex migrated_mu_;
  std::map<std::string, schema::TablePtr> migrated_;  // the last migrate_table of each table

  static constexpr size_t kPoolSize = 4;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<plugin::DestinationPlugin>> pool_[2];  // [migrate_force]
};

}  // namespace

struct PluginServer::Impl {
  std::unique_ptr<PluginService> plugin;
  DiscoveryService discovery;
  std::unique_ptr<grpc::Server> server;
  std::string target;
};

PluginServer::PluginServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PluginServer::~PluginServer() { Shutdown(); }

const std::string& PluginServer::target() const { return impl_->target; }

Result<std::unique_ptr<PluginServer>> PluginServer::Start(const plugin::PluginRegistry& registry,
                                                          const ServeOptions& options,
                                                          Logger& logger) {
  auto impl = std::make_unique<Impl>();
  impl->plugin = std::make_unique<PluginService>(registry, options, logger);
  if (!impl->plugin->serves_something()) {
    std::string known;
    for (const auto& n : registry.source_names()) known += (known.empty() ? "" : ", ") + n;
    for (const auto& n : registry.destination_names()) {
      if (known.find(n) == std::string::npos) known += ", " + n;
    }
    return Status::Invalid(fmt::format("no built-in {}plugin \"{}\" (built-in: {})",
                                       options.kind.empty() ? "" : options.kind + " ",
                                       options.plugin, known));
  }
  std::string listen;
  if (options.network == "unix") {
    std::string path = options.address;
    if (path.starts_with("unix://"))
      path = path.substr(7);
    else if (path.starts_with("unix:"))
      path = path.substr(5);
    ::unlink(path.c_str());  // a socket left by an earlier run
    listen = "unix:" + path;
    impl->target = "unix://" + path;
  } else if (options.network == "tcp") {
    listen = options.address;
  } else {
    return Status::Invalid(fmt::format("--network: \"{}\" (use tcp or unix)", options.network));
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(),
                           options.network == "tcp" ? &port : nullptr);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  if (!options.init_spec.empty()) {
    QUARRY_RETURN_NOT_OK(impl->plugin->InitWith(options.init_spec, false));
  }
  builder.RegisterService(impl->plugin.get());
  builder.RegisterService(&impl->discovery);
  impl->server = builder.BuildAndStart();
  if (!impl->server || (options.network == "tcp" && port == 0)) {
    return Status::IOError(
        fmt::format("cannot listen on {} ({})", options.address, options.network));
  }
  if (options.network == "tcp") {
    const auto colon = options.address.rfind(':');
    impl->target = options.address.substr(0, colon) + ":" + std::to_string(port);
  }
  return std::unique_ptr<PluginServer>(new PluginServer(std::move(impl)));
}

void PluginServer::Wait() {
  if (impl_->server) impl_->server->Wait();
}

void PluginServer::Shutdown() {
  if (impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  (void)impl_->plugin->DrainPool();
}

}  // namespace quarry::rpc
