#include <nlohmann/json.hpp>

#include "quarry/base/time.h"
#include "quarry/engine/engine.h"

#ifndef QUARRY_VERSION
#define QUARRY_VERSION "dev"
#endif

namespace quarry::engine {

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
  nlohmann::ordered_json rows = nlohmann::ordered_json::object(),
                         errors = nlohmann::ordered_json::object(),
                         durations = nlohmann::ordered_json::object(),
                         fetched = nlohmann::ordered_json::object(),
                         deleted = nlohmann::ordered_json::object();
  for (const auto& name : pair.source_tables) {
    const TableSummary& t = pair.tables.at(name);
    rows[name] = t.written;
    errors[name] = t.errors;
    durations[name] = t.duration_ms;
    fetched[name] = t.rows;
    deleted[name] = t.deleted;
  }
  j["resources_per_table"] = rows;
  j["errors_per_table"] = errors;
  j["durations_per_table_ms"] = durations;
  // Quarry's additions.
  j["fetched_per_table"] = fetched;
  j["deleted_per_table"] = deleted;
  j["write_mode"] = pair.write_mode;
  j["status"] = result.interrupted ? "interrupted" : pair.error.empty() ? "ok" : "failed";
  if (!pair.error.empty()) j["error"] = pair.error;
  return j.dump();
}

}  // namespace quarry::engine
