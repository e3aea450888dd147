// Typed configuration: what a YAML config says, after substitution and strict decoding.
//
// Values; thread-safe to read.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/plugin/options.h"

namespace quarry::config {

// Where something was written: "file.yml:12:3" (line and column 1-based; 0 = unknown).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string ToString() const;
};

// The modes are the plugin layer's vocabulary (plugin/options.h); these names let config code
// (and the engine) keep spelling them config::.
using plugin::MigrateMode;
using plugin::ParseMigrateMode;
using plugin::ParsePkMode;
using plugin::ParseWriteMode;
using plugin::PkMode;
using plugin::ToString;
using plugin::WriteMode;

struct BackendOptions {
  std::string table_name;
  std::string connection;  // "@@plugins.<destination>.connection"
};

// Fields common to both kinds of plugin document.
struct PluginSpec {
  std::string kind;  // "source" or "destination"
  std::string name;
  std::string path;
  std::string registry = "cloudquery";  // cloudquery, local, grpc
  std::string version;
  nlohmann::json spec = nlohmann::json::object();  // the plugin's own options
  Location location;                               // the document's `kind:` line
  // Where each key was written, by dotted path: "name", "tables", "spec.num_rows", …
  std::map<std::string, Location> key_locations;

  // The location of `key` (a dotted path), else of its closest written parent, else the document.
  Location Locate(std::string_view key) const;
  // "file.yml:12:3: source "aws": <message>", using the location of the dotted key path that
  // `message` starts with ("spec.num_rows: …", "tables: …") when there is one.
  Status ErrorAt(std::string_view key, std::string_view message) const;
  Status LocateError(const Status& status) const;
};

struct SourceSpec : PluginSpec {
  std::vector<std::string> tables;
  std::vector<std::string> skip_tables;
  bool skip_dependent_tables = true;
  std::vector<std::string> destinations;
  bool deterministic_cq_id = false;
  std::optional<BackendOptions> backend_options;
};

struct DestinationSpec : PluginSpec {
  WriteMode write_mode = WriteMode::kOverwriteDeleteStale;
  MigrateMode migrate_mode = MigrateMode::kSafe;
  PkMode pk_mode = PkMode::kDefault;
  bool send_sync_summary = false;
  std::string sync_group_id;

  // What the destination plugin is told at Init: name and modes.
  plugin::DestinationOptions options() const;
};

struct Config {
  std::vector<SourceSpec> sources;
  std::vector<DestinationSpec> destinations;
  std::vector<std::string> files;  // the YAML files read, in order

  const DestinationSpec* FindDestination(std::string_view name) const;
};

}  // namespace quarry::config
