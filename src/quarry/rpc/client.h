// The client side of the plugin protocol shared by the rpc layer's adapters: dialing a plugin,
// one Write stream, one Read call. Pulls in grpc++ and the generated stubs: for rpc sources only.
//
// Functions are thread-safe; a stub may be shared by threads (gRPC stubs are).
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "plugin.grpc.pb.h"
#include "quarry/base/status.h"
#include "quarry/schema/table.h"
#include "quarry/types/record_batch.h"

namespace quarry::rpc {

// The protocol's maximum message size, both ways.
inline constexpr int kMaxMessageBytes = 200 * 1024 * 1024;

// A channel to `target` ("host:port", "unix:///path") with the protocol's message limits and a
// quick reconnect (a launched plugin is usually not listening yet at the first attempt).
std::shared_ptr<grpc::Channel> DialPlugin(const std::string& target);

// One Write stream: `fill` sends the messages (returning false when the stream broke), then the
// stream is closed and the plugin's answer awaited. `what` prefixes errors.
Status WriteStream(
    cloudquery::plugin::v3::Plugin::Stub& stub, const std::string& what,
    const std::function<bool(grpc::ClientWriter<cloudquery::plugin::v3::Write::Request>&)>& fill);

// Reads every record of `table` with the Read RPC; `fn` gets each decoded record. An error from
// `fn` cancels the call and is returned.
Status ReadRecords(cloudquery::plugin::v3::Plugin::Stub& stub, const schema::Table& table,
                   const std::function<Status(const types::RecordBatch&)>& fn);

}  // namespace quarry::rpc
