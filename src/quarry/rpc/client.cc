#include "quarry/rpc/client.h"

#include "quarry/ipc/cq_table.h"
#include "quarry/ipc/ipc.h"
#include "quarry/rpc/grpc_status.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;

std::shared_ptr<grpc::Channel> DialPlugin(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

Status WriteStream(pb::Plugin::Stub& stub, const std::string& what,
                   const std::function<bool(grpc::ClientWriter<pb::Write::Request>&)>& fill) {
  grpc::ClientContext ctx;
  pb::Write::Response resp;
  auto writer = stub.Write(&ctx, &resp);
  if (fill(*writer)) writer->WritesDone();
  return FromGrpc(writer->Finish(), what);
}

Status ReadRecords(pb::Plugin::Stub& stub, const schema::Table& table,
                   const std::function<Status(const types::RecordBatch&)>& fn) {
  grpc::ClientContext ctx;
  pb::Read::Request req;
  req.set_table(ipc::EncodeTable(table));
  auto reader = stub.Read(&ctx, req);
  pb::Read::Response resp;
  Status st;
  while (st.ok() && reader->Read(&resp)) {
    auto rec = ipc::DecodeRecord(resp.record());
    st = rec.ok() ? fn(**rec) : rec.status();
  }
  if (!st.ok()) ctx.TryCancel();
  grpc::Status gs = reader->Finish();
  QUARRY_RETURN_NOT_OK(st);
  return FromGrpc(gs, "read " + table.name);
}

}  // namespace quarry::rpc
