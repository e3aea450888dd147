// Internal to the config loader (src/quarry/config); no other layer includes this header.
//
// Building: each file's documents (`kind` + `spec`) into SourceSpecs and DestinationSpecs, then
// the checks on the config as a whole.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "quarry/config/decode.h"
#include "quarry/config/spec.h"

namespace quarry::config::internal {

// Collects documents from every file, then checks the config as a whole. One per load; not
// thread-safe.
class ConfigBuilder {
 public:
  // Substitutes, checks and decodes one file's text; `file` names it in errors, `base_dir`
  // resolves its ${file:…} references.
  Status AddFile(const std::string& raw, const std::string& file,
                 const std::filesystem::path& base_dir);

  // At least one source and one destination, unique names per kind, and every destination a
  // source names (in `destinations` or `backend_options.connection`) exists.
  Result<Config> Finish();

 private:
  Status AddDocument(const YAML::Node& doc, const SourceText& src);

  template <typename Spec>
  static Status CheckUniqueNames(const std::vector<Spec>& specs);

  // `connection: "@@plugins.<destination>.connection"` names a destination like `destinations`
  // does, and is as easy to misspell.
  Status CheckBackendConnection(const SourceSpec& s, const std::string& known) const;

  Config config_;
};

}  // namespace quarry::config::internal
