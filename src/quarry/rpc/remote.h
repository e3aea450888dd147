// Remote plugins: CloudQuery-protocol plugins that Quarry drives over gRPC, behind the same
// SourcePlugin / DestinationPlugin interfaces as the built-in ones.
//
//   registry: grpc    path: host:port (or unix:///socket) of a plugin that is already running
//   registry: local   path: a plugin executable; Quarry launches it (rpc/process.h), dials its
//                     unix socket and stops it on Close
//
// Source: Configure stores the spec (no I/O). Tables() connects, calls Init with the spec as JSON
// and GetTables(["*"]), and rebuilds the tree from `cq:table_depends_on`. Sync asks for exactly the
// selected tables and turns the responses into messages: each record is conformed to the Quarry
// table, which adds `_cq_source_name` and `_cq_sync_time` (rpc/wire.h).
//
// Destination: Init connects and calls Init. Each Migrate, Write and DeleteStale is one Write
// stream, closed before the call returns: the plugin flushes when its stream ends, so a returned
// Write means the plugin acknowledged those rows, which is what checkpoints rely on. With
// `write_mode: append`, tables travel without primary keys (as CloudQuery's CLI sends them).
// Read uses the Read RPC. A remote destination cannot lock, so it cannot be Quarry's state
// backend for a built-in source.
//
// State: with backend_options, Sync hands the plugin a state backend of its own
// (rpc/state_bridge.h): the plugin reads the cursors the engine read from the real backend, and
// the cursors it writes come out as Checkpoint messages once its Sync stream ended — so they are
// saved by the engine's checkpoint protocol, like a built-in source's, only after every
// destination wrote every row of the sync.
//
// Files: connection.h (dial or launch a plugin, Discovery, Init, Close), remote_source.cc,
// remote_destination.cc; this file's remote.cc only registers the factories.
//
// Each object is used from one thread at a time (as the interfaces require).
#pragma once

#include <memory>
#include <string_view>

#include "quarry/base/log.h"
#include "quarry/plugin/registry.h"

namespace quarry::rpc {

struct RemoteOptions {
  std::string log_level = "info";  // passed to launched plugins as --log-level
};

std::unique_ptr<plugin::SourcePlugin> NewRemoteSource(std::string_view registry,
                                                      std::string_view path, Logger& logger,
                                                      const RemoteOptions& options = {});
std::unique_ptr<plugin::DestinationPlugin> NewRemoteDestination(std::string_view registry,
                                                                std::string_view path,
                                                                Logger& logger,
                                                                const RemoteOptions& options = {});

// Makes `registry` resolve `registry: grpc` and `registry: local` to remote plugins.
// REQUIRES: logger outlives every plugin made.
void RegisterRemotePlugins(plugin::PluginRegistry& registry, Logger& logger,
                           const RemoteOptions& options = {});

}  // namespace quarry::rpc
