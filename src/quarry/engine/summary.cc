// The sync summary of one source → destination pair: the JSON record of --summary-location and
// the `cloudquery_sync_summaries` row of send_sync_summary.
#include "quarry/engine/summary.h"

#include <nlohmann/json.hpp>

#include "quarry/base/time.h"
#include "quarry/base/uuid.h"
#include "quarry/types/record_batch.h"

#ifndef QUARRY_VERSION
#define QUARRY_VERSION "dev"
#endif

namespace quarry::engine {

namespace {

std::string_view StatusOf(const SyncResult& result, const PairSummary& pair) {
  if (result.interrupted) return "interrupted";
  return pair.error.empty() ? "ok" : "failed";
}

// `{"<table>": n, …}` for the per-table columns, in the order of the source's tables.
template <typename Field>
nlohmann::ordered_json PerTable(const PairSummary& pair, Field field) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& name : pair.source_tables) j[name] = field(pair.tables.at(name));
  return j;
}

const auto kWritten = [](const TableSummary& t) { return t.written; };
const auto kErrors = [](const TableSummary& t) { return t.errors; };
const auto kDurations = [](const TableSummary& t) { return t.duration_ms; };
const auto kFetched = [](const TableSummary& t) { return t.rows; };
const auto kDeleted = [](const TableSummary& t) { return t.deleted; };

}  // namespace

std::string SummaryJson(const SyncResult& result, const PairSummary& pair) {
  nlohmann::ordered_json j;
  j["cli_version"] = QUARRY_VERSION;
  j["sync_id"] = result.sync_id;
  j["sync_time"] = FormatRfc3339(result.sync_time_us);
  j["sync_duration_ms"] = result.duration_us / 1000;
  j["resources"] = pair.resources;
  j["source_name"] = pair.source_name;
  j["source_path"] = pair.source_path;
  j["source_version"] = pair.source_version;
  j["source_errors"] = pair.source_errors;
  j["source_warnings"] = pair.source_warnings;
  j["source_tables"] = pair.source_tables;
  j["destination_name"] = pair.destination_name;
  j["destination_path"] = pair.destination_path;
  j["destination_version"] = pair.destination_version;
  j["destination_errors"] = pair.destination_errors;
  j["destination_warnings"] = pair.destination_warnings;
  if (!pair.sync_group_id.empty()) j["sync_group_id"] = pair.sync_group_id;
  j["resources_per_table"] = PerTable(pair, kWritten);
  j["errors_per_table"] = PerTable(pair, kErrors);
  j["durations_per_table_ms"] = PerTable(pair, kDurations);
  // Quarry's additions.
  j["fetched_per_table"] = PerTable(pair, kFetched);
  j["deleted_per_table"] = PerTable(pair, kDeleted);
  j["write_mode"] = pair.write_mode;
  j["status"] = StatusOf(result, pair);
  if (!pair.error.empty()) j["error"] = pair.error;
  return j.dump();
}

Result<schema::TablePtr> SummaryTable(bool cq_id_only) {
  using types::int64;
  using types::json;
  using types::utf8;
  schema::Table t{"cloudquery_sync_summaries", "Sync summaries",
                  "One row per source/destination pair and sync (send_sync_summary: true)."};
  for (const char* name : {"cli_version", "sync_id"}) t.columns.push_back({name, utf8()});
  t.columns.push_back({"sync_time", types::timestamp()});
  for (const char* name : {"sync_duration_ms", "resources"}) t.columns.push_back({name, int64()});
  for (const char* name : {"source_name", "source_path", "source_version"}) {
    t.columns.push_back({name, utf8()});
  }
  for (const char* name : {"source_errors", "source_warnings"}) {
    t.columns.push_back({name, int64()});
  }
  t.columns.push_back({"source_tables", json()});
  for (const char* name : {"destination_name", "destination_path", "destination_version"}) {
    t.columns.push_back({name, utf8()});
  }
  for (const char* name : {"destination_errors", "destination_warnings"}) {
    t.columns.push_back({name, int64()});
  }
  t.columns.push_back({"sync_group_id", utf8()});
  for (const char* name : {"resources_per_table", "errors_per_table", "durations_per_table_ms",
                           "fetched_per_table", "deleted_per_table"}) {
    t.columns.push_back({name, json()});
  }
  for (const char* name : {"write_mode", "status", "error"}) t.columns.push_back({name, utf8()});
  QUARRY_ASSIGN_OR_RETURN(schema::TablePtr table, schema::Finalize(std::move(t)));
  return schema::WithCqColumns(*table, cq_id_only);
}

Result<types::RecordBatchPtr> SummaryRow(const schema::Table& table, const SyncResult& result,
                                         const PairSummary& pair) {
  uint8_t id[16];
  UuidGenerator().NextV4(id);
  const std::string uuid(reinterpret_cast<const char*>(id), sizeof id);
  types::RecordBatchBuilder b(table.arrow_schema);
  const auto& fields = table.arrow_schema->fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    types::ArrayBuilder& col = b.column(static_cast<int>(i));
    const std::string& name = fields[i].name;
    auto text = [&](std::string_view v) { col.AppendBytes(v); };
    auto number = [&](int64_t v) { col.Append<int64_t>(v); };
    auto per_table = [&](auto field) { col.AppendBytes(PerTable(pair, field).dump()); };
    if (name == schema::kCqId) {
      text(uuid);
    } else if (name == schema::kCqParentId ||
               (name == "sync_group_id" && pair.sync_group_id.empty()) ||
               (name == "error" && pair.error.empty())) {
      col.AppendNull();
    } else if (name == schema::kCqSourceName || name == "source_name") {
      text(pair.source_name);
    } else if (name == schema::kCqSyncTime || name == "sync_time") {
      number(result.sync_time_us);
    } else if (name == "cli_version") {
      text(QUARRY_VERSION);
    } else if (name == "sync_id") {
      text(result.sync_id);
    } else if (name == "sync_duration_ms") {
      number(result.duration_us / 1000);
    } else if (name == "resources") {
      number(pair.resources);
    } else if (name == "source_path") {
      text(pair.source_path);
    } else if (name == "source_version") {
      text(pair.source_version);
    } else if (name == "source_errors") {
      number(pair.source_errors);
    } else if (name == "source_warnings") {
      number(pair.source_warnings);
    } else if (name == "source_tables") {
      text(nlohmann::json(pair.source_tables).dump());
    } else if (name == "destination_name") {
      text(pair.destination_name);
    } else if (name == "destination_path") {
      text(pair.destination_path);
    } else if (name == "destination_version") {
      text(pair.destination_version);
    } else if (name == "destination_errors") {
      number(pair.destination_errors);
    } else if (name == "destination_warnings") {
      number(pair.destination_warnings);
    } else if (name == "sync_group_id") {
      text(pair.sync_group_id);
    } else if (name == "resources_per_table") {
      per_table(kWritten);
    } else if (name == "errors_per_table") {
      per_table(kErrors);
    } else if (name == "durations_per_table_ms") {
      per_table(kDurations);
    } else if (name == "fetched_per_table") {
      per_table(kFetched);
    } else if (name == "deleted_per_table") {
      per_table(kDeleted);
    } else if (name == "write_mode") {
      text(pair.write_mode);
    } else if (name == "status") {
      text(StatusOf(result, pair));
    } else if (name == "error") {
      text(pair.error);
    } else {
      return Status::Internal("sync summary: no value for column " + name);
    }
  }
  return b.Finish();
}

}  // namespace quarry::engine
