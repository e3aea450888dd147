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
//
// Untrusted input: a file must be UTF-8 text of at most 32 MiB (also after substitution); a
// document may hold at most 1,000,000 values with aliases expanded (an alias bomb is refused
// before it expands) and nest lists and mappings at most 256 levels deep; an alias may not sit
// inside the value it names; a plugin name is 1 to 200 bytes without control characters. Each is
// a Status::Invalid naming the file and line. Nothing throws out of these functions.
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
