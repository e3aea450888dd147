// Loading configuration files: YAML → Config.
//
// LoadConfig reads files and directories (non-recursive, *.yml / *.yaml, hidden files skipped),
// each holding one or more `---`-separated documents of `kind: source` or `kind: destination`.
// It substitutes ${ENV_VAR} and ${file:path}, decodes strictly (an unknown key is an error), fills
// defaults, and checks the config as a whole (unique names per kind, at least one source and one
// destination, every destination a source names exists).
//
// Every error names the file, line and key: "sync.yml:7:5: source \"aws\": tabels: unknown key".
// Key locations cover every key and list item, by dotted path: "spec.nested.key", "tables.2".
// Plugin-specific checks (spec options, table patterns) happen later, in the engine, using the
// key locations recorded here.
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "quarry/config/spec.h"

namespace quarry::config {

Result<Config> LoadConfig(const std::vector<std::string>& paths);

// The same, from text (for tests); `file` names it in errors. `base_dir` resolves ${file:…}.
Result<Config> LoadConfigText(const std::string& text, const std::string& file,
                              const std::string& base_dir);

}  // namespace quarry::config
