// Internal to the config loader (src/quarry/config); no other layer includes this header.
//
// Decoding: YAML text to yaml-cpp nodes within the loader's limits (ParseYaml), and nodes to typed
// values that remember where they were written (SpecDecoder). Scalars are read as YAML 1.2's core
// schema reads them; yaml-cpp's exceptions stop here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/config/spec.h"

namespace quarry::config::internal {

using nlohmann::json;

// The file being decoded: its name and how output lines map back to what the user wrote.
struct SourceText {
  std::string file;
  std::vector<int> source_lines;

  Location Loc(const YAML::Mark& mark) const {
    Location loc{file, 0, 0};
    if (mark.line < 0) return loc;
    loc.line = static_cast<size_t>(mark.line) < source_lines.size() ? source_lines[mark.line]
                                                                    : mark.line + 1;
    loc.column = mark.column + 1;
    return loc;
  }
};

// Parses `text` (the substituted text of `src`) into its documents. Before yaml-cpp builds a tree,
// a walk over the parser's events refuses a document that breaks a limit: more than kMaxValues
// values with aliases expanded (an alias bomb is refused before it expands), lists and mappings
// nested deeper than kMaxDepth, or an alias inside the value it names. Every error is a
// Status::Invalid "<file:line:col>: ...".
Result<std::vector<YAML::Node>> ParseYaml(const std::string& text, const SourceText& src);

// How a node looks, for "expected X, got Y".
std::string Describe(const YAML::Node& n);

// " (did you mean \"tables\"?)" for a near miss, else "".
std::string Suggest(std::string_view key, std::span<const std::string_view> known);

// One `key: value` of a mapping.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// Decodes the `spec:` mapping of one document into a SourceSpec or DestinationSpec, recording
// where every key was written.
class SpecDecoder {
 public:
  SpecDecoder(const SourceText& src, PluginSpec* spec) : src_(src), spec_(spec) {}

  // "<where>: source "aws": <key>: <problem>", or "<where>: source: <key>: <problem>" while the
  // name is not known yet.
  Status Error(const std::string& key, std::string_view problem) const;

  // The entries of a mapping at `path` ("" for the top of the spec), with their locations
  // recorded; a repeated key is an error (yaml-cpp would silently keep both).
  Result<std::vector<Entry>> Entries(const YAML::Node& map, const std::string& path);

  Status DuplicateKey(const std::string& key, const Location& loc, const Location& first);

  // A string; any non-null scalar is accepted as its text (`version: 1.2` is "1.2").
  Result<std::string> String(const std::string& key, const YAML::Node& v, bool non_empty);

  // Only YAML's true/false: "yes", 1 or a quoted "true" are mistakes worth reporting.
  Result<bool> Bool(const std::string& key, const YAML::Node& v);

  Result<int64_t> Int(const std::string& key, const YAML::Node& v);

  // A list of strings; items are recorded as "<key>.<index>" so that later checks (a table
  // pattern that matches nothing, an unknown destination) can point at the very item.
  Result<std::vector<std::string>> StringList(const std::string& key, const YAML::Node& v);

  // Any YAML value as JSON, for the plugin's own options. Locations are recorded for keys and
  // list items under `path` unless `record` is false (content pulled in by a merge key).
  // Aliases are expanded here, so the limits on values and depth hold here too (ShapeCheck has
  // checked them already; a cycle would otherwise recurse until the stack runs out).
  Result<json> Json(const YAML::Node& n, const std::string& path, bool record = true,
                    size_t depth = 0);

 private:
  // YAML merge keys (`<<: *defaults`) are resolved here because yaml-cpp leaves them as plain
  // keys: explicit keys win over merged ones, earlier merged mappings over later ones.
  // `depth` counts this mapping.
  Result<json> JsonObject(const YAML::Node& n, const std::string& path, bool record, size_t depth);

  const SourceText& src_;
  PluginSpec* spec_;
  int64_t json_values_ = 0;  // values Json has produced, aliases expanded
};

}  // namespace quarry::config::internal
