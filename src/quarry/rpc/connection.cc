#include "quarry/rpc/connection.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "discovery.grpc.pb.h"
#include "quarry/base/uuid.h"
#include "quarry/rpc/client.h"
#include "quarry/rpc/grpc_status.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;
namespace disc = ::cloudquery::discovery::v1;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(15);
constexpr auto kUnaryTimeout = std::chrono::seconds(120);

}  // namespace

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + kUnaryTimeout);
}

Result<std::unique_ptr<Connection>> Connection::Open(std::string_view registry,
                                                     std::string_view path, Logger& logger,
                                                     const RemoteOptions& options) {
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

Status Connection::Explain(const Status& st) {
  if (st.ok() || !process_) return st;
  const std::string how = process_->ExitDescription(std::chrono::milliseconds(500));
  if (how.empty()) return st;
  return Status(st.code(), fmt::format("{} (the plugin process {})", st.message(), how));
}

Status Connection::Init(const nlohmann::json& spec, bool no_connection) {
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

Status Connection::Close() {
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

Connection::~Connection() {
  // Hang up first: a plugin's server waits for open connections when it stops.
  stub_.reset();
  channel_.reset();
  if (process_) process_->Stop();
}

}  // namespace quarry::rpc
