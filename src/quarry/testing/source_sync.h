// Helpers for the source plugins' tests: a whole Configure/Tables/Init/Sync/Close cycle of a
// source into a CollectingSink, and a table's columns in brief. They keep no state; a source
// object runs one sync at a time.
#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/plugin/source.h"
#include "quarry/schema/table.h"
#include "quarry/testing/collecting_sink.h"

namespace quarry::testing {

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

}  // namespace quarry::testing
