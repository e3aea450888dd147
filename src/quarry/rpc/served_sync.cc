#include "quarry/rpc/served_sync.h"

#include "quarry/ipc/cq_table.h"
#include "quarry/ipc/ipc.h"
#include "quarry/rpc/client.h"
#include "quarry/rpc/wire.h"
#include "quarry/types/record_batch.h"

namespace quarry::rpc {

namespace pb = ::cloudquery::plugin::v3;

Status SyncSink::Send(message::Message msg) {
  if (ctx_->IsCancelled()) return Status::Cancelled("the client cancelled the sync");
  pb::Sync::Response resp;
  if (const auto* m = std::get_if<message::MigrateTable>(&msg)) {
    resp.mutable_migrate_table()->set_table(ipc::EncodeTable(*Stripped(m->table)));
  } else if (const auto* ins = std::get_if<message::Insert>(&msg)) {
    schema::TablePtr t = Stripped(ins->table);
    resp.mutable_insert()->set_record(
        ipc::EncodeRecord(*StripOrchestratorColumns(*t, *ins->batch)));
  } else if (const auto* err = std::get_if<message::TableError>(&msg)) {
    resp.mutable_error()->set_table_name(err->table_name);
    resp.mutable_error()->set_error(err->error);
  } else if (const auto* cp = std::get_if<message::Checkpoint>(&msg)) {
    // No protocol message: the cursor goes to the state backend when the sync is done.
    std::lock_guard lock(tables_mu_);
    cursors_[cp->key] = cp->value;
    return Status::OK();
  } else {
    return Status::OK();
  }
  std::lock_guard lock(write_mu_);
  if (!writer_->Write(resp)) return Status::Cancelled("the client went away");
  return Status::OK();
}

std::map<std::string, std::string> SyncSink::cursors() {
  std::lock_guard lock(tables_mu_);
  return cursors_;
}

schema::TablePtr SyncSink::Stripped(const schema::TablePtr& t) {
  std::lock_guard lock(tables_mu_);
  auto it = stripped_.find(t.get());
  if (it != stripped_.end()) return it->second;
  auto s = StripOrchestratorColumns(*t);
  stripped_.emplace(t.get(), s);
  return s;
}

Result<std::unique_ptr<StateClient>> StateClient::Open(const std::string& target,
                                                       const std::string& table_name) {
  auto c = std::unique_ptr<StateClient>(new StateClient());
  schema::Table t;
  t.name = table_name;
  schema::Column key{"key", types::utf8()};
  key.primary_key = true;
  key.not_null = true;
  t.columns = {key, {"value", types::utf8()}};
  QUARRY_ASSIGN_OR_RETURN(c->table_, schema::Finalize(t));
  c->stub_ = pb::Plugin::NewStub(DialPlugin(target));
  pb::Write::Request migrate;
  migrate.mutable_migrate_table()->set_table(ipc::EncodeTable(*c->table_));
  QUARRY_RETURN_NOT_OK(c->WriteOne(migrate).WithContext("state backend: create table"));
  QUARRY_RETURN_NOT_OK(
      ReadRecords(*c->stub_, *c->table_, [&](const types::RecordBatch& rec) -> Status {
        const int k = rec.schema()->IndexOf("key"), v = rec.schema()->IndexOf("value");
        if (k < 0 || v < 0) return Status::Invalid("state table without key and value columns");
        for (int64_t i = 0; i < rec.num_rows(); ++i) {
          if (rec.column(k).IsNull(i)) continue;
          c->values_[std::string(rec.column(k).GetView(i))] =
              rec.column(v).IsNull(i) ? "" : std::string(rec.column(v).GetView(i));
        }
        return Status::OK();
      }).WithContext("state backend"));
  return c;
}

Status StateClient::Save(const std::map<std::string, std::string>& cursors) {
  if (cursors.empty()) return Status::OK();
  types::RecordBatchBuilder b(table_->arrow_schema);
  for (const auto& [k, v] : cursors) {
    b.column(0).AppendBytes(k);
    b.column(1).AppendBytes(v);
  }
  QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, b.Finish());
  pb::Write::Request req;
  req.mutable_insert()->set_record(ipc::EncodeRecord(*batch));
  return WriteOne(req).WithContext("state backend: save");
}

Status StateClient::WriteOne(const pb::Write::Request& msg) {
  return WriteStream(*stub_, "write", [&](auto& w) { return w.Write(msg); });
}

}  // namespace quarry::rpc
