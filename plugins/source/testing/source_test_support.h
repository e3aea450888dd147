// Test support shared by the source plugins' tests: a sink that records what a source sends,
// and a helper that runs a whole Configure/Tables/Init/Sync/Close cycle into it.
// Test code only; not thread-safe except CollectingSink::Send.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/plugin/source.h"
#include "quarry/schema/table.h"

namespace quarry::plugins::source_testing {

// Records rows (as JSON, without the _cq_* columns), checkpoints and table errors.
class CollectingSink : public plugin::MessageSink {
 public:
  Status Send(message::Message msg) override {
    std::lock_guard lock(mu);
    if (auto* ins = std::get_if<message::Insert>(&msg)) {
      for (int64_t r = 0; r < ins->batch->num_rows(); ++r) {
        auto row = nlohmann::json::parse(ins->batch->RowToJson(r));
        for (const char* cq : {"_cq_id", "_cq_parent_id", "_cq_source_name", "_cq_sync_time"}) {
          row.erase(cq);
        }
        events[ins->table->name].push_back(row.dump());
        rows[ins->table->name].push_back(row.dump());
      }
    } else if (auto* cp = std::get_if<message::Checkpoint>(&msg)) {
      if (on_checkpoint) on_checkpoint(*cp);
      events[cp->key].push_back("checkpoint " + cp->value);
    } else if (auto* err = std::get_if<message::TableError>(&msg)) {
      errors.push_back(err->table_name + ": " + err->error);
    }
    return Status::OK();
  }

  // The table's events with each row shown as the value of its column `key`.
  std::vector<std::string> Brief(const std::string& table, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& e : events[table]) {
      out.push_back(e.starts_with("checkpoint ") ? e : nlohmann::json::parse(e)[key].dump());
    }
    return out;
  }

  std::function<void(const message::Checkpoint&)> on_checkpoint;  // called before recording it
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> events;
  std::map<std::string, std::vector<std::string>> rows;
  std::vector<std::string> errors;
};

// Runs `source` through a whole sync of every table it has, into `sink`.
inline Status SyncAll(plugin::SourcePlugin& source, const nlohmann::json& spec,
                      CollectingSink& sink, std::map<std::string, std::string> state,
                      const std::string& source_name) {
  QUARRY_RETURN_NOT_OK(source.Configure(spec));
  QUARRY_ASSIGN_OR_RETURN(auto tree, source.Tables());
  Logger logger;
  QUARRY_RETURN_NOT_OK(source.Init({&logger}));
  plugin::SyncRequest req;
  for (auto& t : tree) req.tables.push_back(schema::WithCqColumns(*t));
  req.source_name = source_name;
  req.sync_time_us = 1;
  req.state = std::move(state);
  QUARRY_RETURN_NOT_OK(source.Sync(req, sink));
  return source.Close();
}

// "name type [pk] [not null] [cursor]" per column.
inline std::vector<std::string> Describe(const schema::Table& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) {
    out.push_back(fmt::format("{} {}{}{}{}", c.name, c.type->ToString(), c.primary_key ? " pk" : "",
                              c.not_null ? " not null" : "", c.incremental_key ? " cursor" : ""));
  }
  return out;
}

}  // namespace quarry::plugins::source_testing
