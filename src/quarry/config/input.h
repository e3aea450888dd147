// Internal to the config loader (src/quarry/config); no other layer includes this header.
//
// What the loader accepts as input, shared by substitution, decoding and building: the limits on
// an untrusted configuration file, the UTF-8 text checks, the rule for plugin names, and reading a
// file within the size limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "quarry/base/status.h"

namespace quarry::config::internal {

// ---------------------------------------------------------------------------------------------
// Limits. A config file is small and written by hand, so anything far beyond these is a mistake
// or an attack (an "alias bomb": nine levels of ten aliases expand to a billion values); they keep
// such a file from exhausting memory or the stack and turn it into a config error.
// ---------------------------------------------------------------------------------------------

constexpr size_t kMaxFileBytes = size_t{32} << 20;
constexpr std::string_view kMaxFileSize = "32 MiB";
constexpr int64_t kMaxValues = 1'000'000;  // per document, aliases expanded
constexpr size_t kMaxDepth = 256;          // levels of lists and mappings
constexpr size_t kMaxNameBytes = 200;

// "<what> is larger than <kMaxFileSize> (the limit for a configuration file)".
std::string TooLarge(std::string_view what);

// "nesting too deep (more than <kMaxDepth> levels of lists and mappings)".
std::string TooDeep();

// The first thing in some text that keeps it from being UTF-8 text.
struct TextProblem {
  enum Kind { kNul, kControl, kNotUtf8 } kind;
  size_t offset;  // of the character or byte
  uint32_t code;  // the control character, or the byte that is not UTF-8
};

// Finds a NUL, a control character (tab, LF and CR are allowed, unless `strict`, which also
// refuses DEL and U+0080..U+009F) or a byte that does not belong to a valid UTF-8 sequence.
std::optional<TextProblem> FindTextProblem(std::string_view text, bool strict);

// A config file must be UTF-8 text: say so, with the position, rather than letting the YAML
// parser report a NUL or a stray byte as something else ("unknown escape character").
Status CheckText(std::string_view file, std::string_view text);

// Why `name` cannot name a plugin, or "". Any printable UTF-8 is allowed (CloudQuery sets no
// rule); the name ends up in messages, in tables (_cq_source_name) and in file names.
std::string NameProblem(std::string_view name);

// Status::IOError "<path>: cannot read: <reason>" on failure; Status::Invalid when the file is
// larger than kMaxFileBytes (read no further, so /dev/zero is refused too).
Result<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace quarry::config::internal
