#include "quarry/state/state_store.h"

namespace quarry::state {

Result<schema::TablePtr> StateTable(const std::string& table_name) {
  schema::Table t{table_name, "Quarry state", "Incremental cursors, one key per source table."};
  schema::Column key{"key", types::utf8(), "<source>:<key>"};
  key.primary_key = true;
  key.not_null = true;
  t.columns = {key, {"value", types::utf8()}, {"version", types::uint64()}};
  return schema::Finalize(std::move(t));
}

Result<types::RecordBatchPtr> StateBatch(const schema::Table& table,
                                         const std::vector<StateEntry>& entries) {
  types::RecordBatchBuilder b(table.arrow_schema);
  for (const auto& e : entries) {
    b.column(0).AppendBytes(e.key);
    b.column(1).AppendBytes(e.value);
    b.column(2).Append<uint64_t>(e.version);
  }
  return b.Finish();
}

std::string FullKey(std::string_view source, std::string_view key) {
  std::string k(source);
  k += ':';
  k += key;
  return k;
}

Result<std::map<std::string, StateEntry>> ReadAll(plugin::DestinationPlugin& dest,
                                                  const schema::Table& table) {
  std::map<std::string, StateEntry> latest;
  QUARRY_RETURN_NOT_OK(dest.Read(table, [&](types::RecordBatchPtr batch) -> Status {
    const int k = batch->schema()->IndexOf("key");
    const int v = batch->schema()->IndexOf("value");
    const int ver = batch->schema()->IndexOf("version");
    if (k < 0 || v < 0) {
      return Status::Invalid("state table " + table.name + " lacks a key or value column");
    }
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      if (batch->column(k).IsNull(r)) continue;
      StateEntry e{
          std::string(batch->column(k).GetView(r)),
          batch->column(v).IsNull(r) ? "" : std::string(batch->column(v).GetView(r)),
          ver < 0 || batch->column(ver).IsNull(r) ? 0 : batch->column(ver).Value<uint64_t>(r)};
      auto it = latest.find(e.key);
      if (it == latest.end() || e.version >= it->second.version) latest[e.key] = std::move(e);
    }
    return Status::OK();
  }));
  for (auto it = latest.begin(); it != latest.end();) {
    it = it->second.value.empty() ? latest.erase(it) : std::next(it);
  }
  return latest;
}

std::map<std::string, StateEntry> SourceEntries(const std::map<std::string, StateEntry>& all,
                                                std::string_view source) {
  std::map<std::string, StateEntry> out;
  const std::string prefix = FullKey(source, "");
  for (const auto& [key, e] : all) {
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = e;
  }
  for (const auto& [key, e] : all) {
    if (key.find(':') == std::string::npos) out.emplace(key, e);  // kept when the source has it
  }
  return out;
}

std::map<std::string, std::string> ForSource(const std::map<std::string, StateEntry>& all,
                                             std::string_view source) {
  std::map<std::string, std::string> out;
  for (auto& [key, e] : SourceEntries(all, source)) out[key] = e.value;
  return out;
}

}  // namespace quarry::state
