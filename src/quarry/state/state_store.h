// The state backend: cursors kept as rows of a key/value/version table in a destination
// (CloudQuery's layout: `key` utf8 primary key, `value` utf8, `version` uint64). The latest
// version of a key wins, so append-only destinations work too; an empty value is a deleted key.
// Keys are namespaced by source: "<source name>:<source's key>". A table without `version` (an
// older CloudQuery layout) reads as version 0.
//
// Pure functions, plus ReadAll, which reads the table through one destination connection (used
// from one thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/plugin/destination.h"
#include "quarry/schema/table.h"

namespace quarry::state {

struct StateEntry {
  std::string key;    // full (namespaced) key
  std::string value;  // empty: deleted
  uint64_t version = 0;
};

// The state table named `table_name`.
Result<schema::TablePtr> StateTable(const std::string& table_name);

// One batch holding `entries`.
Result<types::RecordBatchPtr> StateBatch(const schema::Table& table,
                                         const std::vector<StateEntry>& entries);

std::string FullKey(std::string_view source, std::string_view key);

// Every live key of the table (latest version per key, deleted keys dropped), full keys.
Result<std::map<std::string, StateEntry>> ReadAll(plugin::DestinationPlugin& dest,
                                                  const schema::Table& table);

// The live cursors of one source by the source's own keys: its "<source>:<key>" rows, and rows
// in the layout CloudQuery and its plugins write (a key with no ':' at all, no source prefix)
// for keys the source has not saved itself, so a source that replaces a CloudQuery sync goes on
// from CloudQuery's cursors. Each entry keeps the key as stored (`StateEntry::key`).
std::map<std::string, StateEntry> SourceEntries(const std::map<std::string, StateEntry>& all,
                                                std::string_view source);

// SourceEntries' values.
std::map<std::string, std::string> ForSource(const std::map<std::string, StateEntry>& all,
                                             std::string_view source);

}  // namespace quarry::state
