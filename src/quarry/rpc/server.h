// PluginServer: serves a built-in plugin over CloudQuery plugin protocol v3 (gRPC), so that
// CloudQuery's CLI — or another Quarry — can use it like any CloudQuery plugin.
//
// One server serves one plugin name in the roles it has: `sqlite` is both a source and a
// destination, so Init configures both (a role whose options do not fit the spec is unavailable,
// and its RPCs answer INVALID_ARGUMENT with the reason). Every RPC is implemented: GetName,
// GetVersion, GetSpecSchema, Init, GetTables, Sync, Read, Write, Close, TestConnection (Transform
// and TransformSchema answer UNIMPLEMENTED: no built-in plugin is a transformer), and Discovery
// answers [3].
//
// Sync and every Write / Read call get a plugin instance (connection) of their own, configured
// with the spec Init received, so concurrent calls — a sync's Write stream next to a state
// client's Read — never share one. Destination instances go back to a small pool after a call
// that succeeded and serve the next one (a client may open a Write stream per batch).
//
// Sync with `backend` set keeps the source's cursors through that connection, as CloudQuery's
// SDKs do: it reads the state table (key, value) first and writes the last cursor of each key
// after the source finished. Records sent by Sync carry `_cq_id` and `_cq_parent_id` but
// not `_cq_source_name` / `_cq_sync_time`, which the orchestrator adds (as CloudQuery's SDKs do).
//
// Thread-safe; the gRPC thread pool calls it concurrently.
#pragma once

#include <memory>
#include <string>

#include "quarry/base/log.h"
#include "quarry/base/status.h"
#include "quarry/plugin/registry.h"

namespace quarry::rpc {

struct ServeOptions {
  std::string plugin;                      // built-in plugin name: "sqlite", "test", …
  std::string kind;                        // "source", "destination" or empty for every role it has
  std::string address = "localhost:7777";  // host:port (tcp) or a socket path (unix)
  std::string network = "tcp";             // tcp or unix
  std::string version = "dev";             // answered by GetVersion
  // When set (JSON text), the plugin is initialized with this spec at start, as if Init had been
  // called (how rpc/state_bridge.h serves its state table).
  std::string init_spec;
};

class PluginServer {
 public:
  // Binds and starts serving. REQUIRES: registry and logger outlive the server.
  static Result<std::unique_ptr<PluginServer>> Start(const plugin::PluginRegistry& registry,
                                                     const ServeOptions& options, Logger& logger);
  ~PluginServer();

  // The address clients dial: "127.0.0.1:40123" (the port chosen when 0 was asked) or
  // "unix:///path/to.sock".
  const std::string& target() const;
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls, cancels running ones after a grace period, and returns.
  void Shutdown();

  struct Impl;

 private:
  explicit PluginServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quarry::rpc
