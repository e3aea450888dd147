// Connection (internal to rpc): one CloudQuery-protocol plugin to talk to — its gRPC channel
// and stub, and for `registry: local` the process behind it. Used by the remote source and the
// remote destination adapters (remote.h). Not thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "plugin.grpc.pb.h"
#include "quarry/base/log.h"
#include "quarry/base/status.h"
#include "quarry/rpc/process.h"
#include "quarry/rpc/remote.h"

namespace quarry::rpc {

// The deadline of a unary call to a plugin (Init, GetTables, Close, …).
void SetDeadline(grpc::ClientContext* ctx);

class Connection {
 public:
  // Dials `path` (registry grpc) or launches it and dials its socket (registry local), and checks
  // through Discovery that it speaks protocol v3. Errors start with "path: plugin <path>".
  static Result<std::unique_ptr<Connection>> Open(std::string_view registry, std::string_view path,
                                                  Logger& logger, const RemoteOptions& options);
  ~Connection();

  ::cloudquery::plugin::v3::Plugin::Stub& stub() { return *stub_; }
  const std::string& target() const { return target_; }

  // `st` with what became of a launched plugin when it is no longer running.
  Status Explain(const Status& st);
  // The Init RPC with `spec` as JSON.
  Status Init(const nlohmann::json& spec, bool no_connection);
  // Calls Close and stops a launched process.
  Status Close();

 private:
  Connection() = default;
  std::unique_ptr<PluginProcess> process_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::cloudquery::plugin::v3::Plugin::Stub> stub_;
};

}  // namespace quarry::rpc
