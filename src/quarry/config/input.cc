#include "quarry/config/input.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace quarry::config::internal {

namespace fs = std::filesystem;

namespace {

// "file:line:col" of a byte offset in valid UTF-8 text (the column counts characters).
std::string TextLocation(std::string_view file, std::string_view text, size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const size_t last_break = before.rfind('\n');
  const size_t line_start = last_break == std::string_view::npos ? 0 : last_break + 1;
  const size_t line = std::count(before.begin(), before.end(), '\n') + 1;
  size_t column = 1;
  for (size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++column;
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

}  // namespace

std::string TooLarge(std::string_view what) {
  return fmt::format("{} is larger than {} (the limit for a configuration file)", what,
                     kMaxFileSize);
}

std::string TooDeep() {
  return fmt::format("nesting too deep (more than {} levels of lists and mappings)", kMaxDepth);
}

std::optional<TextProblem> FindTextProblem(std::string_view text, bool strict) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = b[i];
    if (c < 0x80) {
      if (c == 0) return TextProblem{TextProblem::kNul, i, 0};
      const bool control = c < 0x20 || (strict && c == 0x7f);
      if (control && (strict || (c != '\t' && c != '\n' && c != '\r'))) {
        return TextProblem{TextProblem::kControl, i, c};
      }
      ++i;
      continue;
    }
    // Lengths and the allowed range of the second byte (RFC 3629: no overlong forms, no
    // surrogates, nothing above U+10FFFF).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool valid = len != 0 && i + len <= n && b[i + 1] >= lo && b[i + 1] <= hi;
    for (size_t k = 2; valid && k < len; ++k) valid = (b[i + k] & 0xc0) == 0x80;
    if (!valid) return TextProblem{TextProblem::kNotUtf8, i, c};
    if (strict && c == 0xc2 && b[i + 1] <= 0x9f) {
      return TextProblem{TextProblem::kControl, i, b[i + 1]};  // U+0080..U+009F
    }
    i += len;
  }
  return std::nullopt;
}

Status CheckText(std::string_view file, std::string_view text) {
  if (text.starts_with("\xff\xfe") || text.starts_with("\xfe\xff")) {
    return Status::Invalid(fmt::format("{}:1:1: the file is UTF-16 text; save it as UTF-8", file));
  }
  const std::optional<TextProblem> p = FindTextProblem(text, /*strict=*/false);
  if (!p) return Status::OK();
  const std::string where = TextLocation(file, text, p->offset);
  switch (p->kind) {
    case TextProblem::kNul:
      return Status::Invalid(fmt::format(
          "{}: the file contains a NUL byte; a configuration file must be UTF-8 text", where));
    case TextProblem::kControl:
      return Status::Invalid(
          fmt::format("{}: the file contains the control character 0x{:02x}; a configuration "
                      "file must be UTF-8 text",
                      where, p->code));
    case TextProblem::kNotUtf8:
      break;
  }
  return Status::Invalid(
      fmt::format("{}: the file is not valid UTF-8 text (byte 0x{:02x})", where, p->code));
}

std::string NameProblem(std::string_view name) {
  if (name.size() > kMaxNameBytes) {
    return fmt::format("must be at most {} bytes, got {}", kMaxNameBytes, name.size());
  }
  const std::optional<TextProblem> p = FindTextProblem(name, /*strict=*/true);
  if (!p) return "";
  if (p->kind == TextProblem::kNotUtf8) {
    return fmt::format("must be valid UTF-8 text (byte 0x{:02x} at byte {})", p->code,
                       p->offset + 1);
  }
  return fmt::format("must not contain control characters (0x{:02x} at byte {})", p->code,
                     p->offset + 1);
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError(fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
  }
  std::string content;
  std::string chunk(size_t{1} << 16, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    content.append(chunk.data(), static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxFileBytes) {
      return Status::Invalid(fmt::format("{}: {}", path.string(), TooLarge("the file")));
    }
  }
  if (in.bad()) {
    return Status::IOError(fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
  }
  return content;
}

}  // namespace quarry::config::internal
