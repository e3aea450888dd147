// Internal to src/quarry/rpc (the server's Sync): what serving a built-in source's Sync needs
// beyond the source itself.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plugin.grpc.pb.h"
#include "quarry/base/status.h"
#include "quarry/plugin/source.h"
#include "quarry/schema/table.h"

namespace quarry::rpc {

// Sends a built-in source's messages as Sync responses. Thread-safe (sources send from their
// resolver threads).
class SyncSink : public plugin::MessageSink {
 public:
  SyncSink(grpc::ServerContext* ctx,
           grpc::ServerWriter<cloudquery::plugin::v3::Sync::Response>* writer)
      : ctx_(ctx), writer_(writer) {}

  Status Send(message::Message msg) override;

  // The last Checkpoint value of each key sent so far (the protocol has no message for them).
  std::map<std::string, std::string> cursors();

 private:
  schema::TablePtr Stripped(const schema::TablePtr& t);

  grpc::ServerContext* ctx_;
  grpc::ServerWriter<cloudquery::plugin::v3::Sync::Response>* writer_;
  std::map<std::string, std::string> cursors_;  // the last Checkpoint value of each key
  std::mutex write_mu_;
  std::mutex tables_mu_;
  std::map<const schema::Table*, schema::TablePtr> stripped_;
};

// The client side of a state backend, as CloudQuery's SDKs have it: a key/value table in a
// destination plugin reached over gRPC. Used by served sources whose Sync names a backend.
// Not thread-safe.
class StateClient {
 public:
  // Dials `target`, creates the state table `table_name` (key, value) there if needed and reads
  // the saved cursors.
  static Result<std::unique_ptr<StateClient>> Open(const std::string& target,
                                                   const std::string& table_name);

  // The cursors read by Open, by key.
  const std::map<std::string, std::string>& values() const { return values_; }

  // Writes `cursors` as rows of the state table (upserted by key).
  Status Save(const std::map<std::string, std::string>& cursors);

 private:
  StateClient() = default;
  Status WriteOne(const cloudquery::plugin::v3::Write::Request& msg);

  schema::TablePtr table_;
  std::unique_ptr<cloudquery::plugin::v3::Plugin::Stub> stub_;
  std::map<std::string, std::string> values_;
};

}  // namespace quarry::rpc
