#include "quarry/config/substitute.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "quarry/config/input.h"

namespace quarry::config::internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Where a ${...} sits, which decides how its value must be written to stay one scalar.
enum class ValueContext { kPlain, kDoubleQuoted, kSingleQuoted, kBlock };

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

size_t Indent(std::string_view line) {
  const size_t n = line.find_first_not_of(' ');
  return n == std::string_view::npos ? line.size() : n;
}

// True when a quote at `pos` opens a quoted scalar rather than being a character of a plain one
// ("it's", `say "hi"`): only where a node may start.
bool AtNodeStart(std::string_view line, size_t pos) {
  size_t j = pos;
  while (j > 0 && (line[j - 1] == ' ' || line[j - 1] == '\t')) --j;
  if (j == 0) return true;
  const char c = line[j - 1];
  if (c == '[' || c == '{' || c == ',' || c == ':') return true;  // `{"a":"b"}` is valid YAML
  if (j == pos) return false;                                     // glued to the previous word
  if (c == '-' || c == '?') return true;
  size_t start = j;
  while (start > 0 && line[start - 1] != ' ' && line[start - 1] != '\t') --start;
  return line[start] == '&' || line[start] == '!';  // after an anchor or a tag
}

// True when the code part of a line ends with a block scalar header: `key: |`, `- >-`, `|2`.
bool EndsWithBlockHeader(std::string_view code) {
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t')) code.remove_suffix(1);
  size_t start = code.size();
  while (start > 0 && code[start - 1] != ' ' && code[start - 1] != '\t') --start;
  const std::string_view token = code.substr(start);
  if (token.empty() || (token[0] != '|' && token[0] != '>') || token.size() > 3) return false;
  for (char c : token.substr(1)) {
    if (c != '-' && c != '+' && !(c >= '1' && c <= '9')) return false;
  }
  return true;
}

std::string EscapeDoubleQuoted(std::string_view v) {
  std::string out;
  for (unsigned char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

bool IsJsonContainer(std::string_view v) {
  const size_t first = v.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (v[first] != '{' && v[first] != '[')) return false;
  return json::accept(v);
}

class Substituter {
 public:
  Substituter(std::string file, fs::path base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  Result<Substituted> Run(std::string_view input) {
    // CRLF files are common on Windows; YAML treats CRLF as a line break, so does our scanner.
    std::string text;
    text.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
      if (!(input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n')) text += input[i];
    }

    Substituted out;
    size_t begin = 0;
    int line_no = 0;
    while (begin <= text.size()) {
      size_t end = text.find('\n', begin);
      const bool last = end == std::string::npos;
      if (last) end = text.size();
      ++line_no;
      QUARRY_RETURN_NOT_OK(Line(std::string_view(text).substr(begin, end - begin), line_no, &out));
      if (last) break;
      out.text += '\n';
      begin = end + 1;
    }
    return out;
  }

 private:
  Status Line(std::string_view line, int line_no, Substituted* out) {
    const size_t indent = Indent(line);
    if (in_block_ && !IsBlank(line) && indent <= block_parent_indent_) in_block_ = false;
    if (!in_block_ && (line.starts_with("---") || line.starts_with("...")) &&
        (line.size() == 3 || line[3] == ' ' || line[3] == '\t')) {
      quote_ = 0;  // a document marker ends whatever was open
    }

    std::string current;  // the output line being built
    size_t code_end = line.size();
    for (size_t p = 0; p < line.size();) {
      const char c = line[p];
      if (c == '$' && p + 1 < line.size() && line[p + 1] == '{') {
        const size_t close = line.find('}', p + 2);
        if (close != std::string_view::npos && close > p + 2) {
          const ValueContext ctx = in_block_        ? ValueContext::kBlock
                                   : quote_ == '"'  ? ValueContext::kDoubleQuoted
                                   : quote_ == '\'' ? ValueContext::kSingleQuoted
                                                    : ValueContext::kPlain;
          const std::string_view ref = line.substr(p + 2, close - p - 2);
          QUARRY_ASSIGN_OR_RETURN(std::string value, Lookup(ref, line_no, static_cast<int>(p)));
          QUARRY_RETURN_NOT_OK(
              Write(value, ctx, line, ref, line_no, static_cast<int>(p), &current, out));
          if (out->text.size() + current.size() > kMaxFileBytes) {
            return Status::Invalid(fmt::format(
                "{}:{}:{}: ${{{}}}: the configuration would be larger than {} with this value "
                "substituted",
                file_, line_no, p + 1, ref, kMaxFileSize));
          }
          p = close + 1;
          continue;
        }
      }
      if (!in_block_) {
        if (quote_ == '"') {
          if (c == '\\' && p + 1 < line.size()) {
            current.append(line.substr(p, 2));
            p += 2;
            continue;
          }
          if (c == '"') quote_ = 0;
        } else if (quote_ == '\'') {
          if (c == '\'' && p + 1 < line.size() && line[p + 1] == '\'') {
            current += "''";
            p += 2;
            continue;
          }
          if (c == '\'') quote_ = 0;
        } else if (c == '#' && (p == 0 || line[p - 1] == ' ' || line[p - 1] == '\t')) {
          code_end = p;
          current.append(line.substr(p));  // a comment: copied, never substituted
          break;
        } else if ((c == '"' || c == '\'') && AtNodeStart(line, p)) {
          quote_ = c;
        }
      }
      current += c;
      ++p;
    }
    if (!in_block_ && quote_ == 0 && EndsWithBlockHeader(line.substr(0, code_end))) {
      in_block_ = true;
      block_parent_indent_ = indent;
    }
    out->text += current;
    out->source_lines.push_back(line_no);
    return Status::OK();
  }

  Status Write(std::string_view value, ValueContext ctx, std::string_view line,
               std::string_view ref, int line_no, int col, std::string* current, Substituted* out) {
    // The value becomes part of the YAML text, which must stay UTF-8 text; only a double-quoted
    // string can hold control characters (escaped).
    if (const std::optional<TextProblem> p = FindTextProblem(value, /*strict=*/false)) {
      if (p->kind == TextProblem::kNotUtf8) {
        return Status::Invalid(fmt::format(
            "{}:{}:{}: ${{{}}}: the value is not valid UTF-8 text (byte 0x{:02x} at offset {})",
            file_, line_no, col + 1, ref, p->code, p->offset));
      }
      if (ctx != ValueContext::kDoubleQuoted) {
        return Status::Invalid(fmt::format(
            "{}:{}:{}: ${{{}}}: the value contains the control character 0x{:02x}, which only a "
            "double-quoted string can hold",
            file_, line_no, col + 1, ref, p->code));
      }
    }
    const bool multi_line = value.find('\n') != std::string_view::npos;
    switch (ctx) {
      case ValueContext::kDoubleQuoted:
        *current += EscapeDoubleQuoted(value);
        return Status::OK();
      case ValueContext::kSingleQuoted: {
        if (multi_line) {
          return Status::Invalid(fmt::format(
              "{}:{}:{}: ${{{}}}: the value spans several lines, which single quotes cannot "
              "hold; use double quotes or none",
              file_, line_no, col + 1, ref));
        }
        for (char c : value) *current += c == '\'' ? std::string("''") : std::string(1, c);
        return Status::OK();
      }
      case ValueContext::kPlain:
        // Like CloudQuery, a JSON object or array (a service-account key, say) stays a string
        // rather than becoming YAML structure; so does anything spanning lines.
        if (multi_line || IsJsonContainer(value)) {
          *current += '"' + EscapeDoubleQuoted(value) + '"';
        } else {
          *current += value;
        }
        return Status::OK();
      case ValueContext::kBlock: {
        // Continuation lines get the indentation of the line holding the reference, so they stay
        // inside the block; they all map back to that line.
        const std::string prefix(line.substr(0, Indent(line)));
        size_t start = 0;
        while (true) {
          const size_t nl = value.find('\n', start);
          if (nl == std::string_view::npos) {
            *current += value.substr(start);
            return Status::OK();
          }
          *current += value.substr(start, nl - start);
          out->text += *current + '\n';
          out->source_lines.push_back(line_no);
          *current = prefix;
          start = nl + 1;
        }
      }
    }
    return Status::OK();
  }

  Result<std::string> Lookup(std::string_view ref, int line_no, int col) {
    const std::string where = fmt::format("{}:{}:{}", file_, line_no, col + 1);
    if (ref.starts_with("file:")) {
      const fs::path rel(std::string(ref.substr(5)));
      const fs::path path = (rel.is_absolute() ? rel : base_dir_ / rel).lexically_normal();
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        return Status::Invalid(
            fmt::format("{}: ${{{}}}: file {} does not exist", where, ref, path.string()));
      }
      if (fs::is_directory(path, ec)) {
        return Status::Invalid(
            fmt::format("{}: ${{{}}}: {} is a directory", where, ref, path.string()));
      }
      Result<std::string> content = ReadFile(path);
      if (!content.ok()) {
        return Status::Invalid(
            fmt::format("{}: ${{{}}}: {}", where, ref, content.status().message()));
      }
      std::string value = content.MoveValue();
      if (value.ends_with('\n')) {
        value.pop_back();
        if (value.ends_with('\r')) value.pop_back();
      }
      return value;
    }
    const std::string name(ref);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return Status::Invalid(
          fmt::format("{}: environment variable \"{}\" is not set", where, name));
    }
    return std::string(value);
  }

  const std::string file_;
  const fs::path base_dir_;
  char quote_ = 0;  // '"' or '\'' while inside a quoted scalar, which may span lines
  bool in_block_ = false;
  size_t block_parent_indent_ = 0;
};

}  // namespace

Result<Substituted> Substitute(std::string_view raw, const std::string& file,
                               const fs::path& base_dir) {
  Substituter substituter(file, base_dir);
  return substituter.Run(raw);
}

}  // namespace quarry::config::internal
