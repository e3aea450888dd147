// StateBridge: the state backend a CloudQuery-protocol source is handed, so that its cursors
// take the same path as a built-in source's (one state path: Checkpoint messages, committed by
// the engine's checkpoint protocol once every destination wrote the rows they cover).
//
// A CloudQuery plugin keeps its cursors through a destination it reaches over gRPC
// (`Sync.Request.backend`): it reads the state table (`key`, `value`, maybe `version`) before
// syncing and writes the new cursors while or after it syncs. The bridge serves such a
// destination on a private unix socket for the length of one Sync:
//   - Read of the state table answers the cursors the engine read from the real backend;
//   - writes to it are kept (the last value per key), not stored: the plugin's state writes travel
//     on another connection than its rows, so nothing tells which rows a write covers until the
//     Sync stream has ended. After it ended without error, RemoteSource sends every kept cursor
//     as a Checkpoint message, behind every row.
//   - every other table is refused: the bridge holds state, not data.
//
// Thread-safe (the gRPC server calls it from its threads).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "quarry/base/log.h"
#include "quarry/base/status.h"

namespace quarry::rpc {

class StateBridge {
 public:
  // Starts serving `state_table` holding `saved` (key → value).
  static Result<std::unique_ptr<StateBridge>> Start(std::string state_table,
                                                    std::map<std::string, std::string> saved,
                                                    Logger& logger);
  // Stops serving and removes the socket.
  ~StateBridge();

  // The address to hand the plugin ("unix:///tmp/…/state.sock").
  const std::string& target() const;
  // The cursors the plugin wrote, the last value of each key, in the order keys were first
  // written.
  std::vector<std::pair<std::string, std::string>> Written() const;

  struct Impl;

 private:
  explicit StateBridge(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quarry::rpc
