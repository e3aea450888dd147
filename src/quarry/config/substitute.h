// Internal to the config loader (src/quarry/config); no other layer includes this header.
//
// Substitution of ${ENV_VAR} and ${file:path} in the raw text.
//
// Substitution happens before parsing (as in CloudQuery), so a value can be any part of a
// document. To keep error locations pointing at what the user wrote, every line of the output
// remembers the line of the input it came from, and a value is written so that it stays one
// scalar: escaped inside quotes, quoted when it spans lines or is JSON, indented inside a block
// scalar. References inside comments are left alone (CloudQuery strips comments first), so a
// commented-out line never fails for a variable that is not set.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/base/status.h"

namespace quarry::config::internal {

struct Substituted {
  std::string text;
  std::vector<int> source_lines;  // output line (0-based) → input line (1-based)
};

// Substitutes every ${ENV_VAR} and ${file:path} of `raw` (the text of `file`; relative ${file:…}
// paths resolve against `base_dir`). CRLF line breaks become LF. Errors name file, line and column.
Result<Substituted> Substitute(std::string_view raw, const std::string& file,
                               const std::filesystem::path& base_dir);

}  // namespace quarry::config::internal
