#include "quarry/config/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <utility>

namespace quarry::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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

std::string TooLarge(std::string_view what) {
  return fmt::format("{} is larger than {} (the limit for a configuration file)", what,
                     kMaxFileSize);
}

std::string TooDeep() {
  return fmt::format("nesting too deep (more than {} levels of lists and mappings)", kMaxDepth);
}

// The first thing in some text that keeps it from being UTF-8 text.
struct TextProblem {
  enum Kind { kNul, kControl, kNotUtf8 } kind;
  size_t offset;  // of the character or byte
  uint32_t code;  // the control character, or the byte that is not UTF-8
};

// Finds a NUL, a control character (tab, LF and CR are allowed, unless `strict`, which also
// refuses DEL and U+0080..U+009F) or a byte that does not belong to a valid UTF-8 sequence.
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

// A config file must be UTF-8 text: say so, with the position, rather than letting the YAML
// parser report a NUL or a stray byte as something else ("unknown escape character").
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

// Why `name` cannot name a plugin, or "". Any printable UTF-8 is allowed (CloudQuery sets no
// rule); the name ends up in messages, in tables (_cq_source_name) and in file names.
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

// ---------------------------------------------------------------------------------------------
// Substitution of ${ENV_VAR} and ${file:path} in the raw text.
//
// Substitution happens before parsing (as in CloudQuery), so a value can be any part of a
// document. To keep error locations pointing at what the user wrote, every line of the output
// remembers the line of the input it came from, and a value is written so that it stays one
// scalar: escaped inside quotes, quoted when it spans lines or is JSON, indented inside a block
// scalar. References inside comments are left alone (CloudQuery strips comments first), so a
// commented-out line never fails for a variable that is not set.
// ---------------------------------------------------------------------------------------------

struct Substituted {
  std::string text;
  std::vector<int> source_lines;  // output line (0-based) → input line (1-based)
};

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

// Status::IOError "<path>: cannot read: <reason>" on failure; Status::Invalid when the file is
// larger than kMaxFileBytes (read no further, so /dev/zero is refused too).
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

// ---------------------------------------------------------------------------------------------
// Decoding.
// ---------------------------------------------------------------------------------------------

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

// Walks the parser's events for one document and records the first limit it breaks, before
// yaml-cpp builds a tree and before anything expands an alias: more than kMaxValues values with
// aliases expanded, lists and mappings nested deeper than kMaxDepth (also through an alias), or an
// alias inside the value it names (yaml-cpp would build a cycle). Messages name the key path the
// way SpecDecoder does once the document's kind (and name) have been read.
// On the first problem it throws Stop, the one exception our code throws: the parser has no other
// way to end early (a 32 MiB file would otherwise be read to the end). ParseYaml catches it.
class ShapeCheck final : public YAML::EventHandler {
 public:
  struct Stop {};

  explicit ShapeCheck(const SourceText& src) : src_(src) {}

  const Status& status() const { return status_; }

  void OnDocumentStart(const YAML::Mark&) override {
    open_.clear();
    anchors_.clear();
    anchor_names_.clear();
    values_ = 0;
    kind_.clear();
    name_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Leaf(mark, anchor, nullptr);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, &value);
  }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_anchor_ = name; }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Child(nullptr);
    const std::string alias = "*" + anchor_names_[anchor];
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      Fail(mark, fmt::format("alias {} refers to a value that contains it", alias));
    }
    const Shape shape = it->second;
    if (open_.size() + shape.height > kMaxDepth) {
      Fail(mark, fmt::format("{} through alias {}", TooDeep(), alias));
    }
    if (!open_.empty()) {
      open_.back().child_height = std::max(open_.back().child_height, shape.height);
    }
    values_ += shape.values;
    if (values_ > kMaxValues) {
      Fail(mark,
           fmt::format("alias {} expands the document to more than {} values", alias, kMaxValues));
    }
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, /*is_map=*/false);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, /*is_map=*/true);
  }
  void OnMapEnd() override { Close(); }

 private:
  // What an anchored value expands to.
  struct Shape {
    int64_t values = 0;
    size_t height = 0;  // levels of lists and mappings: 0 for a scalar
  };
  // A list or mapping being read.
  struct Frame {
    bool is_map = false;
    YAML::anchor_t anchor = YAML::NullAnchor;
    int64_t values_before = 0;  // values_ before it started
    size_t child_height = 0;    // the greatest height among its children
    int64_t children = 0;       // nodes read directly inside (a mapping's keys and values)
    std::string key;            // a mapping's current key, for messages
  };

  // Counts a node inside the innermost open collection; returns true when it is a mapping's
  // value (rather than a key or a list item).
  bool Child(const std::string* scalar) {
    if (open_.empty()) return false;
    Frame& parent = open_.back();
    const bool is_key = parent.is_map && parent.children % 2 == 0;
    if (is_key) parent.key = scalar != nullptr ? *scalar : "?";
    ++parent.children;
    return parent.is_map && !is_key;
  }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* value) {
    if (Child(value) && value != nullptr) {
      // `kind:` at the top and `spec: {name: …}`, for messages.
      if (open_.size() == 1 && open_[0].key == "kind") kind_ = *value;
      if (open_.size() == 2 && open_[0].key == "spec" && open_[1].key == "name" &&
          NameProblem(*value).empty()) {
        name_ = *value;
      }
    }
    Named(anchor);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = Shape{1, 0};
    if (++values_ > kMaxValues) {
      Fail(mark, fmt::format("the document holds more than {} values", kMaxValues));
    }
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    Child(nullptr);
    Named(anchor);
    if (open_.size() + 1 > kMaxDepth) Fail(mark, TooDeep());
    if (++values_ > kMaxValues) {
      Fail(mark, fmt::format("the document holds more than {} values", kMaxValues));
    }
    open_.push_back(Frame{is_map, anchor, values_ - 1});
  }

  void Close() {
    if (open_.empty()) return;
    Frame f = std::move(open_.back());
    open_.pop_back();
    const Shape shape{values_ - f.values_before, f.child_height + 1};
    if (f.anchor != YAML::NullAnchor) anchors_[f.anchor] = shape;
    if (!open_.empty()) {
      open_.back().child_height = std::max(open_.back().child_height, shape.height);
    }
  }

  void Named(YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return;
    anchor_names_[anchor] = std::move(pending_anchor_);
    pending_anchor_.clear();
  }

  // Records "<file:line:col>: source "aws": spec.x.0: <problem>" for the node being read and
  // stops the parser.
  [[noreturn]] void Fail(const YAML::Mark& mark, std::string_view problem) {
    std::vector<std::string> path;
    for (const Frame& f : open_) {
      const bool at_value = f.children % 2 == 0;  // the node being read is a value (not a key)
      path.push_back(!f.is_map ? std::to_string(f.children - 1) : at_value ? f.key : "?");
    }
    std::string prefix;
    if ((kind_ == "source" || kind_ == "destination") && !path.empty() && path[0] == "spec") {
      path.erase(path.begin());
      prefix = name_.empty() ? kind_ + ": " : fmt::format("{} \"{}\": ", kind_, name_);
    }
    constexpr size_t kMaxShown = 8;  // a path 256 levels deep says nothing more than its start
    std::string key;
    for (size_t i = 0; i < path.size() && i < kMaxShown; ++i) key += (i ? "." : "") + path[i];
    if (path.size() > kMaxShown) key += "...";
    status_ = Status::Invalid(fmt::format("{}: {}{}{}", src_.Loc(mark).ToString(), prefix,
                                          key.empty() ? "" : key + ": ", problem));
    throw Stop{};
  }

  const SourceText& src_;
  Status status_;
  std::vector<Frame> open_;
  std::map<YAML::anchor_t, Shape> anchors_;  // anchored values read to their end
  std::map<YAML::anchor_t, std::string> anchor_names_;
  std::string pending_anchor_;  // the name OnAnchor gave, for the node that follows
  int64_t values_ = 0;          // nodes in the document so far, aliases expanded
  std::string kind_;
  std::string name_;
};

// "<file:line:col>: invalid YAML: <what yaml-cpp says>".
Status InvalidYaml(const SourceText& src, const YAML::Exception& e) {
  return Status::Invalid(fmt::format("{}: invalid YAML: {}", src.Loc(e.mark).ToString(), e.msg));
}

// Parses `text` with yaml-cpp, after ShapeCheck has passed every document. yaml-cpp's exceptions
// stop here.
Result<std::vector<YAML::Node>> ParseYaml(const std::string& text, const SourceText& src) {
  ShapeCheck check(src);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(check)) {
    }
  } catch (const ShapeCheck::Stop&) {
    return check.status();
  } catch (const YAML::Exception& e) {
    return InvalidYaml(src, e);
  }
  try {
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return InvalidYaml(src, e);
  }
}

// How a node looks, for "expected X, got Y".
std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar: {
      std::string s = n.Scalar();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      if (n.Tag() == "?") return fmt::format("\"{}\"", s);
      return fmt::format("the quoted string \"{}\"", s);
    }
  }
  return "something else";
}

bool IsPlain(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

// YAML 1.2 core schema integers: 42, -7, 0x1F, 0o17.
std::optional<json> ParseInteger(std::string_view s) {
  int base = 10;
  std::string_view digits = s;
  if (s.starts_with("0x")) {
    base = 16;
    digits = s.substr(2);
  } else if (s.starts_with("0o")) {
    base = 8;
    digits = s.substr(2);
  } else if (s.starts_with('+')) {
    digits = s.substr(1);
    if (digits.starts_with('-')) return std::nullopt;
  }
  if (digits.empty()) return std::nullopt;
  const bool negative = base == 10 && digits.starts_with('-');
  const std::string_view unsigned_digits = negative ? digits.substr(1) : digits;
  if (unsigned_digits.empty()) return std::nullopt;
  for (char c : unsigned_digits) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (base != 16 && !std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (base == 8 && c > '7') return std::nullopt;
  }
  const char* first = digits.data();
  const char* last = digits.data() + digits.size();
  int64_t i = 0;
  if (auto [p, ec] = std::from_chars(first, last, i, base); ec == std::errc() && p == last) {
    return json(i);
  }
  uint64_t u = 0;
  if (!negative) {
    if (auto [p, ec] = std::from_chars(first, last, u, base); ec == std::errc() && p == last) {
      return json(u);
    }
  }
  return std::nullopt;
}

bool LooksLikeDecimalInteger(std::string_view s) {
  if (s.starts_with('-') || s.starts_with('+')) s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// YAML 1.2 core schema floats, except .inf and .nan, which JSON cannot hold.
std::optional<json> ParseFloat(std::string_view s) {
  std::string_view body = s;
  if (body.starts_with('+') || body.starts_with('-')) body.remove_prefix(1);
  size_t i = 0;
  size_t int_digits = 0;
  size_t frac_digits = 0;
  while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++int_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  // from_chars rejects a leading '+'.
  const std::string_view text = s.starts_with('+') ? s.substr(1) : s;
  double d = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return json(d);
}

// A plain scalar's JSON value, as YAML's core schema reads it.
json InferScalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return nullptr;
  if (auto i = ParseInteger(s)) return *i;
  // An integer beyond 64 bits (an account number, say) stays exactly as written.
  if (LooksLikeDecimalInteger(s)) return s;
  if (auto d = ParseFloat(s)) return *d;
  return s;
}

bool IsMergeKey(const YAML::Node& key) { return IsPlain(key) && key.Scalar() == "<<"; }

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean \"tables\"?)" for a near miss, else "".
std::string Suggest(std::string_view key, std::span<const std::string_view> known) {
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view k : known) {
    // A shortened key ("table" for "table_name") is as likely a slip as a typo.
    const size_t d = key.size() >= 4 && k.starts_with(key) ? 1 : EditDistance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", best);
}

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
  Status Error(const std::string& key, std::string_view problem) const {
    if (spec_->name.empty()) {
      return Status::Invalid(
          fmt::format("{}: {}: {}: {}", spec_->Locate(key).ToString(), spec_->kind, key, problem));
    }
    return spec_->ErrorAt(key, fmt::format("{}: {}", key, problem));
  }

  // The entries of a mapping at `path` ("" for the top of the spec), with their locations
  // recorded; a repeated key is an error (yaml-cpp would silently keep both).
  Result<std::vector<Entry>> Entries(const YAML::Node& map, const std::string& path) {
    std::vector<Entry> entries;
    std::map<std::string, Location> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string where = path.empty() ? "" : path + ".";
      if (!it->first.IsScalar()) {
        spec_->key_locations.try_emplace(where + "?", src_.Loc(it->first.Mark()));
        return Error(where + "?", fmt::format("keys must be strings, got {}", Describe(it->first)));
      }
      Entry e{it->first.Scalar(), it->first, it->second};
      const std::string full = where + e.key;
      const Location loc = src_.Loc(e.key_node.Mark());
      if (auto [prev, inserted] = seen.emplace(e.key, loc); !inserted) {
        return DuplicateKey(full, loc, prev->second);
      }
      spec_->key_locations[full] = loc;
      entries.push_back(std::move(e));
    }
    return entries;
  }

  Status DuplicateKey(const std::string& key, const Location& loc, const Location& first) {
    spec_->key_locations[key] = loc;
    return Error(key, fmt::format("duplicate key (first written at line {})", first.line));
  }

  // A string; any non-null scalar is accepted as its text (`version: 1.2` is "1.2").
  Result<std::string> String(const std::string& key, const YAML::Node& v, bool non_empty) {
    if (!v.IsScalar()) return Error(key, fmt::format("expected a string, got {}", Describe(v)));
    if (non_empty && v.Scalar().empty()) return Error(key, "must not be empty");
    return v.Scalar();
  }

  // Only YAML's true/false: "yes", 1 or a quoted "true" are mistakes worth reporting.
  Result<bool> Bool(const std::string& key, const YAML::Node& v) {
    if (IsPlain(v)) {
      const json j = InferScalar(v.Scalar());
      if (j.is_boolean()) return j.get<bool>();
    }
    return Error(key, fmt::format("expected true or false, got {}", Describe(v)));
  }

  Result<int64_t> Int(const std::string& key, const YAML::Node& v) {
    if (IsPlain(v)) {
      const json j = InferScalar(v.Scalar());
      if (j.is_number_integer() && !j.is_number_unsigned()) return j.get<int64_t>();
      if (j.is_number_unsigned() && j.get<uint64_t>() <= INT64_MAX) {
        return static_cast<int64_t>(j.get<uint64_t>());
      }
      if (j.is_number_unsigned() || (j.is_string() && LooksLikeDecimalInteger(v.Scalar()))) {
        if (v.Scalar().starts_with('-')) {
          return Error(key, fmt::format("{} is too small (the minimum is {})", v.Scalar(),
                                        std::numeric_limits<int64_t>::min()));
        }
        return Error(key, fmt::format("{} is too large (the maximum is {})", v.Scalar(),
                                      std::numeric_limits<int64_t>::max()));
      }
    }
    return Error(key, fmt::format("expected an integer, got {}", Describe(v)));
  }

  // A list of strings; items are recorded as "<key>.<index>" so that later checks (a table
  // pattern that matches nothing, an unknown destination) can point at the very item.
  Result<std::vector<std::string>> StringList(const std::string& key, const YAML::Node& v) {
    std::vector<std::string> out;
    if (v.IsNull()) return out;
    if (!v.IsSequence()) {
      return Error(key, fmt::format("expected a list of strings, got {}", Describe(v)));
    }
    for (size_t i = 0; i < v.size(); ++i) {
      const YAML::Node item = v[i];
      const std::string item_key = fmt::format("{}.{}", key, i);
      spec_->key_locations[item_key] = src_.Loc(item.Mark());
      if (!item.IsScalar() || item.Scalar().empty()) {
        return Error(item_key, fmt::format("expected a non-empty string, got {}", Describe(item)));
      }
      out.push_back(item.Scalar());
    }
    return out;
  }

  // Any YAML value as JSON, for the plugin's own options. Locations are recorded for keys and
  // list items under `path` unless `record` is false (content pulled in by a merge key).
  // Aliases are expanded here, so the limits on values and depth hold here too (ShapeCheck has
  // checked them already; a cycle would otherwise recurse until the stack runs out).
  Result<json> Json(const YAML::Node& n, const std::string& path, bool record = true,
                    size_t depth = 0) {
    if (++json_values_ > kMaxValues) {
      return Error(path, fmt::format("expands to more than {} values", kMaxValues));
    }
    if (n.IsSequence() || n.IsMap()) {
      if (++depth > kMaxDepth) return Error(path, TooDeep());
    }
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return IsPlain(n) ? InferScalar(n.Scalar()) : json(n.Scalar());
      case YAML::NodeType::Sequence: {
        json arr = json::array();
        for (size_t i = 0; i < n.size(); ++i) {
          const std::string item_path = fmt::format("{}.{}", path, i);
          if (record) spec_->key_locations[item_path] = src_.Loc(n[i].Mark());
          QUARRY_ASSIGN_OR_RETURN(json item, Json(n[i], item_path, record, depth));
          arr.push_back(std::move(item));
        }
        return arr;
      }
      case YAML::NodeType::Map:
        return JsonObject(n, path, record, depth);
    }
    return json(nullptr);
  }

 private:
  // YAML merge keys (`<<: *defaults`) are resolved here because yaml-cpp leaves them as plain
  // keys: explicit keys win over merged ones, earlier merged mappings over later ones.
  // `depth` counts this mapping.
  Result<json> JsonObject(const YAML::Node& n, const std::string& path, bool record, size_t depth) {
    json obj = json::object();
    std::map<std::string, Location> seen;
    std::vector<YAML::Node> merges;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (IsMergeKey(it->first)) {
        merges.push_back(it->second);
        continue;
      }
      if (!it->first.IsScalar()) {
        if (record) spec_->key_locations[path + ".?"] = src_.Loc(it->first.Mark());
        return Error(path + ".?", fmt::format("keys must be strings, got {}", Describe(it->first)));
      }
      const std::string key = it->first.Scalar();
      const std::string key_path = path + "." + key;
      const Location loc = src_.Loc(it->first.Mark());
      if (auto [prev, inserted] = seen.emplace(key, loc); !inserted) {
        return DuplicateKey(key_path, loc, prev->second);
      }
      if (record) spec_->key_locations[key_path] = loc;
      QUARRY_ASSIGN_OR_RETURN(obj[key], Json(it->second, key_path, record, depth));
    }
    for (const YAML::Node& merge : merges) {
      std::vector<YAML::Node> maps;
      if (merge.IsSequence()) {
        for (size_t i = 0; i < merge.size(); ++i) maps.push_back(merge[i]);
      } else {
        maps.push_back(merge);
      }
      for (const YAML::Node& m : maps) {
        if (!m.IsMap()) {
          return Error(path, fmt::format("<<: a merge key takes a mapping or a list of "
                                         "mappings, got {}",
                                         Describe(m)));
        }
        json_values_ += 1;  // the merged mapping, as Json would count it
        QUARRY_ASSIGN_OR_RETURN(json merged, JsonObject(m, path, /*record=*/false, depth));
        for (auto& [k, v] : merged.items()) {
          if (!obj.contains(k)) obj[k] = v;
        }
      }
    }
    return obj;
  }

  const SourceText& src_;
  PluginSpec* spec_;
  int64_t json_values_ = 0;  // values Json has produced, aliases expanded
};

constexpr std::string_view kRegistries = "cloudquery, local, grpc";

// The keys both kinds share. Returns false when `e` is not one of them.
Result<bool> DecodeCommonKey(SpecDecoder& d, const Entry& e, PluginSpec* spec) {
  if (e.key == "name") return true;  // decoded first, before anything else
  if (e.key == "path") {
    QUARRY_ASSIGN_OR_RETURN(spec->path, d.String(e.key, e.value, /*non_empty=*/true));
    return true;
  }
  if (e.key == "registry") {
    QUARRY_ASSIGN_OR_RETURN(std::string registry, d.String(e.key, e.value, true));
    // "github" was CloudQuery's default before its hub existed; it means the same plugins.
    if (registry == "github") registry = "cloudquery";
    if (registry != "cloudquery" && registry != "local" && registry != "grpc") {
      return d.Error(e.key, fmt::format("unknown registry \"{}\" (use {})", registry, kRegistries));
    }
    spec->registry = registry;
    return true;
  }
  if (e.key == "version") {
    if (!e.value.IsNull()) {
      QUARRY_ASSIGN_OR_RETURN(spec->version, d.String(e.key, e.value, false));
    }
    return true;
  }
  if (e.key == "spec") {
    if (e.value.IsNull()) return true;  // `spec:` with nothing under it: no options
    if (!e.value.IsMap()) {
      return d.Error(e.key, fmt::format("expected a mapping, got {}", Describe(e.value)));
    }
    QUARRY_ASSIGN_OR_RETURN(spec->spec, d.Json(e.value, "spec"));
    return true;
  }
  return false;
}

constexpr std::string_view kSourceKeys[] = {"name",
                                            "path",
                                            "registry",
                                            "version",
                                            "tables",
                                            "skip_tables",
                                            "skip_dependent_tables",
                                            "destinations",
                                            "spec",
                                            "deterministic_cq_id",
                                            "backend_options",
                                            "otel_endpoint",
                                            "otel_endpoint_insecure",
                                            "scheduler",
                                            "concurrency",
                                            "table_concurrency",
                                            "resource_concurrency"};
constexpr std::string_view kDestinationKeys[] = {
    "name",         "path",    "registry",          "version",       "write_mode",
    "migrate_mode", "pk_mode", "send_sync_summary", "sync_group_id", "spec"};
constexpr std::string_view kBackendOptionKeys[] = {"table_name", "connection"};

Status UnknownKey(SpecDecoder& d, const std::string& key, std::span<const std::string_view> known) {
  const size_t dot = key.rfind('.');
  const std::string_view last =
      dot == std::string::npos ? key : std::string_view(key).substr(dot + 1);
  return d.Error(key, "unknown key" + Suggest(last, known));
}

// A valid name, if the mapping has one, so that even errors found while listing its keys (a
// repeated key) can say which plugin they are about. DecodeName reports an invalid one.
std::string PeekName(const YAML::Node& spec) {
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "name") {
      return it->second.IsScalar() && NameProblem(it->second.Scalar()).empty() ? it->second.Scalar()
                                                                               : "";
    }
  }
  return "";
}

// Decodes `name` first so that every later error can say which plugin it is about.
Status DecodeName(SpecDecoder& d, const std::vector<Entry>& entries, PluginSpec* spec) {
  for (const Entry& e : entries) {
    if (e.key != "name") continue;
    QUARRY_ASSIGN_OR_RETURN(std::string name, d.String("name", e.value, /*non_empty=*/true));
    if (const std::string problem = NameProblem(name); !problem.empty()) {
      return d.Error("name", problem);
    }
    spec->name = std::move(name);
    return Status::OK();
  }
  return d.Error("name", "required key is missing");
}

Status DecodeBackendOptions(SpecDecoder& d, const Entry& e, SourceSpec* spec) {
  if (e.value.IsNull()) return Status::OK();
  if (!e.value.IsMap()) {
    return d.Error(e.key, fmt::format("expected a mapping with table_name and connection, got {}",
                                      Describe(e.value)));
  }
  QUARRY_ASSIGN_OR_RETURN(std::vector<Entry> entries, d.Entries(e.value, "backend_options"));
  BackendOptions opts;
  bool has_table = false;
  bool has_connection = false;
  for (const Entry& o : entries) {
    const std::string key = "backend_options." + o.key;
    if (o.key == "table_name") {
      QUARRY_ASSIGN_OR_RETURN(opts.table_name, d.String(key, o.value, true));
      has_table = true;
    } else if (o.key == "connection") {
      QUARRY_ASSIGN_OR_RETURN(opts.connection, d.String(key, o.value, true));
      has_connection = true;
    } else {
      return UnknownKey(d, key, kBackendOptionKeys);
    }
  }
  if (!has_table) return d.Error("backend_options.table_name", "required key is missing");
  if (!has_connection) return d.Error("backend_options.connection", "required key is missing");
  spec->backend_options = std::move(opts);
  return Status::OK();
}

// `spec` is the object `d` reports errors for.
Status DecodeSource(SpecDecoder& d, const std::vector<Entry>& entries, SourceSpec* spec_ptr) {
  SourceSpec& spec = *spec_ptr;
  QUARRY_RETURN_NOT_OK(DecodeName(d, entries, &spec));
  bool has_path = false;
  bool has_destinations = false;
  for (const Entry& e : entries) {
    QUARRY_ASSIGN_OR_RETURN(const bool common, DecodeCommonKey(d, e, &spec));
    if (common) {
      has_path |= e.key == "path";
      continue;
    }
    if (e.key == "tables") {
      QUARRY_ASSIGN_OR_RETURN(spec.tables, d.StringList(e.key, e.value));
    } else if (e.key == "skip_tables") {
      QUARRY_ASSIGN_OR_RETURN(spec.skip_tables, d.StringList(e.key, e.value));
    } else if (e.key == "skip_dependent_tables") {
      QUARRY_ASSIGN_OR_RETURN(spec.skip_dependent_tables, d.Bool(e.key, e.value));
    } else if (e.key == "destinations") {
      QUARRY_ASSIGN_OR_RETURN(spec.destinations, d.StringList(e.key, e.value));
      has_destinations = true;
    } else if (e.key == "deterministic_cq_id") {
      QUARRY_ASSIGN_OR_RETURN(spec.deterministic_cq_id, d.Bool(e.key, e.value));
    } else if (e.key == "backend_options") {
      QUARRY_RETURN_NOT_OK(DecodeBackendOptions(d, e, &spec));
    } else if (e.key == "otel_endpoint" || e.key == "scheduler") {
      // CloudQuery settings with no meaning here: accepted so that its configs load unchanged.
      QUARRY_RETURN_NOT_OK(d.String(e.key, e.value, false).status());
    } else if (e.key == "otel_endpoint_insecure") {
      QUARRY_RETURN_NOT_OK(d.Bool(e.key, e.value).status());
    } else if (e.key == "concurrency" || e.key == "table_concurrency" ||
               e.key == "resource_concurrency") {
      QUARRY_RETURN_NOT_OK(d.Int(e.key, e.value).status());
    } else {
      return UnknownKey(d, e.key, kSourceKeys);
    }
  }
  if (!has_path) return d.Error("path", "required key is missing");
  if (!has_destinations || spec.destinations.empty()) {
    return d.Error("destinations", "a source needs at least one destination name");
  }
  return Status::OK();
}

// `spec` is the object `d` reports errors for.
Status DecodeDestination(SpecDecoder& d, const std::vector<Entry>& entries,
                         DestinationSpec* spec_ptr) {
  DestinationSpec& spec = *spec_ptr;
  QUARRY_RETURN_NOT_OK(DecodeName(d, entries, &spec));
  bool has_path = false;
  // Enum values go through the shared parsers, whose messages already list the valid values.
  auto enum_value = [&](const Entry& e) { return d.String(e.key, e.value, true); };
  auto wrap = [&](const Entry& e, const Status& st) { return d.Error(e.key, st.message()); };
  for (const Entry& e : entries) {
    QUARRY_ASSIGN_OR_RETURN(const bool common, DecodeCommonKey(d, e, &spec));
    if (common) {
      has_path |= e.key == "path";
      continue;
    }
    if (e.key == "write_mode") {
      QUARRY_ASSIGN_OR_RETURN(std::string s, enum_value(e));
      Result<WriteMode> m = ParseWriteMode(s);
      if (!m.ok()) return wrap(e, m.status());
      spec.write_mode = *m;
    } else if (e.key == "migrate_mode") {
      QUARRY_ASSIGN_OR_RETURN(std::string s, enum_value(e));
      Result<MigrateMode> m = ParseMigrateMode(s);
      if (!m.ok()) return wrap(e, m.status());
      spec.migrate_mode = *m;
    } else if (e.key == "pk_mode") {
      QUARRY_ASSIGN_OR_RETURN(std::string s, enum_value(e));
      Result<PkMode> m = ParsePkMode(s);
      if (!m.ok()) return wrap(e, m.status());
      spec.pk_mode = *m;
    } else if (e.key == "send_sync_summary") {
      QUARRY_ASSIGN_OR_RETURN(spec.send_sync_summary, d.Bool(e.key, e.value));
    } else if (e.key == "sync_group_id") {
      if (!e.value.IsNull()) {
        QUARRY_ASSIGN_OR_RETURN(spec.sync_group_id, d.String(e.key, e.value, false));
      }
    } else {
      return UnknownKey(d, e.key, kDestinationKeys);
    }
  }
  if (!has_path) return d.Error("path", "required key is missing");
  // Deleting stale rows compares against every earlier sync of the source; with sync groups that
  // would delete the other groups' rows. CloudQuery rejects this combination too.
  if (!spec.sync_group_id.empty() && spec.write_mode == WriteMode::kOverwriteDeleteStale) {
    return d.Error("sync_group_id",
                   "cannot be used with write_mode overwrite-delete-stale (use overwrite or "
                   "append)");
  }
  return Status::OK();
}

// Collects documents from every file, then checks the config as a whole.
class ConfigBuilder {
 public:
  Status AddFile(const std::string& raw, const std::string& file, const fs::path& base_dir) {
    config_.files.push_back(file);
    if (raw.size() > kMaxFileBytes) {
      return Status::Invalid(fmt::format("{}: {}", file, TooLarge("the file")));
    }
    QUARRY_RETURN_NOT_OK(CheckText(file, raw));
    Substituter substituter(file, base_dir);
    QUARRY_ASSIGN_OR_RETURN(Substituted sub, substituter.Run(raw));
    SourceText src{file, std::move(sub.source_lines)};

    QUARRY_ASSIGN_OR_RETURN(const std::vector<YAML::Node> docs, ParseYaml(sub.text, src));
    for (const YAML::Node& doc : docs) {
      // yaml-cpp does not throw while reading a parsed tree with type checks first, but a bug
      // of ours must not escape as an exception.
      try {
        QUARRY_RETURN_NOT_OK(AddDocument(doc, src));
      } catch (const std::exception& e) {
        return Status::Internal(
            fmt::format("{}: reading the document: {}", src.Loc(doc.Mark()).ToString(), e.what()));
      }
    }
    return Status::OK();
  }

  Result<Config> Finish() {
    const std::string where = config_.files.empty() ? "config" : config_.files.front();
    if (config_.sources.empty() || config_.destinations.empty()) {
      return Status::Invalid(fmt::format(
          "{}: at least one source and one destination are required (found {} source{}, {} "
          "destination{})",
          where, config_.sources.size(), config_.sources.size() == 1 ? "" : "s",
          config_.destinations.size(), config_.destinations.size() == 1 ? "" : "s"));
    }
    QUARRY_RETURN_NOT_OK(CheckUniqueNames(config_.sources));
    QUARRY_RETURN_NOT_OK(CheckUniqueNames(config_.destinations));
    std::string known;
    for (const auto& dst : config_.destinations) {
      known += (known.empty() ? "" : ", ") + dst.name;
    }
    for (const SourceSpec& s : config_.sources) {
      std::set<std::string_view> used;
      for (size_t i = 0; i < s.destinations.size(); ++i) {
        const std::string& name = s.destinations[i];
        const std::string key = fmt::format("destinations.{}", i);
        if (config_.FindDestination(name) == nullptr) {
          return s.ErrorAt(key, fmt::format("destinations: no destination is named \"{}\" "
                                            "(destinations: {})",
                                            name, known));
        }
        if (!used.insert(name).second) {
          return s.ErrorAt(key, fmt::format("destinations: \"{}\" is listed twice", name));
        }
      }
      if (s.backend_options) {
        QUARRY_RETURN_NOT_OK(CheckBackendConnection(s, known));
      }
    }
    return std::move(config_);
  }

 private:
  Status AddDocument(const YAML::Node& doc, const SourceText& src) {
    if (doc.IsNull()) return Status::OK();  // an empty document, e.g. after a trailing `---`
    const Location doc_loc = src.Loc(doc.Mark());
    if (!doc.IsMap()) {
      return Status::Invalid(
          fmt::format("{}: a document must be a mapping with kind and spec, got {}",
                      doc_loc.ToString(), Describe(doc)));
    }
    // A default-constructed YAML::Node counts as defined, hence the optionals.
    std::optional<Entry> kind_entry, spec_entry;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const Location loc = src.Loc(it->first.Mark());
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      std::optional<Entry>* slot = key == "kind"   ? &kind_entry
                                   : key == "spec" ? &spec_entry
                                                   : nullptr;
      if (slot == nullptr) {
        return Status::Invalid(
            fmt::format("{}: {}: unknown key (a document has only kind and spec)", loc.ToString(),
                        key.empty() ? Describe(it->first) : key));
      }
      if (slot->has_value()) {
        return Status::Invalid(fmt::format("{}: {}: duplicate key (first written at line {})",
                                           loc.ToString(), key,
                                           src.Loc((*slot)->key_node.Mark()).line));
      }
      slot->emplace(Entry{key, it->first, it->second});
    }
    if (!kind_entry) {
      return Status::Invalid(fmt::format(
          "{}: kind: required key is missing (source or destination)", doc_loc.ToString()));
    }
    const Location kind_loc = src.Loc(kind_entry->key_node.Mark());
    const YAML::Node& kind = kind_entry->value;
    const std::string kind_name = kind.IsScalar() ? kind.Scalar() : "";
    if (!kind.IsScalar()) {
      return Status::Invalid(fmt::format("{}: kind: expected source or destination, got {}",
                                         kind_loc.ToString(), Describe(kind)));
    }
    if (kind_name != "source" && kind_name != "destination") {
      return Status::Invalid(fmt::format("{}: kind: unknown kind {} (use source, destination)",
                                         kind_loc.ToString(), Describe(kind)));
    }
    if (!spec_entry) {
      return Status::Invalid(
          fmt::format("{}: {}: spec: required key is missing", kind_loc.ToString(), kind_name));
    }
    const YAML::Node& spec = spec_entry->value;
    if (!spec.IsMap()) {
      return Status::Invalid(fmt::format("{}: {}: spec: expected a mapping, got {}",
                                         src.Loc(spec_entry->key_node.Mark()).ToString(), kind_name,
                                         Describe(spec)));
    }

    if (kind_name == "source") {
      SourceSpec s;
      s.kind = kind_name;
      s.location = kind_loc;
      s.name = PeekName(spec);
      SpecDecoder d(src, &s);
      QUARRY_ASSIGN_OR_RETURN(std::vector<Entry> entries, d.Entries(spec, ""));
      QUARRY_RETURN_NOT_OK(DecodeSource(d, entries, &s));
      config_.sources.push_back(std::move(s));
    } else {
      DestinationSpec s;
      s.kind = kind_name;
      s.location = kind_loc;
      s.name = PeekName(spec);
      SpecDecoder d(src, &s);
      QUARRY_ASSIGN_OR_RETURN(std::vector<Entry> entries, d.Entries(spec, ""));
      QUARRY_RETURN_NOT_OK(DecodeDestination(d, entries, &s));
      config_.destinations.push_back(std::move(s));
    }
    return Status::OK();
  }

  template <typename Spec>
  static Status CheckUniqueNames(const std::vector<Spec>& specs) {
    std::map<std::string_view, const Spec*> first;
    for (const Spec& s : specs) {
      auto [it, inserted] = first.emplace(s.name, &s);
      if (!inserted) {
        return s.ErrorAt("name", fmt::format("name: {} name \"{}\" is already used at {}", s.kind,
                                             s.name, it->second->Locate("name").ToString()));
      }
    }
    return Status::OK();
  }

  // `connection: "@@plugins.<destination>.connection"` names a destination like `destinations`
  // does, and is as easy to misspell.
  Status CheckBackendConnection(const SourceSpec& s, const std::string& known) const {
    constexpr std::string_view kPrefix = "@@plugins.";
    constexpr std::string_view kSuffix = ".connection";
    const std::string& c = s.backend_options->connection;
    if (!c.starts_with(kPrefix) || !c.ends_with(kSuffix) ||
        c.size() <= kPrefix.size() + kSuffix.size()) {
      return Status::OK();  // a literal address
    }
    const std::string name = c.substr(kPrefix.size(), c.size() - kPrefix.size() - kSuffix.size());
    if (config_.FindDestination(name) != nullptr) return Status::OK();
    return s.ErrorAt("backend_options.connection",
                     fmt::format("backend_options.connection: no destination is named \"{}\" "
                                 "(destinations: {})",
                                 name, known));
  }

  Config config_;
};

fs::path BaseDir(const fs::path& file) {
  const fs::path parent = file.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// The YAML files a command-line argument stands for.
Result<std::vector<fs::path>> ExpandPath(const std::string& arg) {
  const fs::path path(arg);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    return Status::Invalid(fmt::format("{}: no such file or directory", arg));
  }
  if (!fs::is_directory(status)) return std::vector<fs::path>{path};

  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with('.')) continue;
    if (!name.ends_with(".yml") && !name.ends_with(".yaml")) continue;
    if (it->is_directory(ec)) continue;
    files.push_back(it->path());
  }
  if (ec) return Status::IOError(fmt::format("{}: cannot list: {}", arg, ec.message()));
  if (files.empty()) {
    return Status::Invalid(fmt::format("{}: directory holds no *.yml or *.yaml file", arg));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  return files;
}

// Nothing escapes the loader: yaml-cpp's exceptions are caught where it is called and the limits
// above keep memory bounded, but allocation can still fail, and a bug of ours must not end the
// process through std::terminate.
template <typename Load>
Result<Config> NoThrow(Load&& load) {
  try {
    return load();
  } catch (const std::bad_alloc&) {
    return Status::Invalid("the configuration is too large to load (out of memory)");
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("loading the configuration: {}", e.what()));
  }
}

}  // namespace

Result<Config> LoadConfig(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::Invalid("no configuration file given");
  return NoThrow([&]() -> Result<Config> {
    ConfigBuilder builder;
    for (const std::string& arg : paths) {
      QUARRY_ASSIGN_OR_RETURN(std::vector<fs::path> files, ExpandPath(arg));
      for (const fs::path& file : files) {
        QUARRY_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
        QUARRY_RETURN_NOT_OK(builder.AddFile(text, file.string(), BaseDir(file)));
      }
    }
    return builder.Finish();
  });
}

Result<Config> LoadConfigText(const std::string& text, const std::string& file,
                              const std::string& base_dir) {
  return NoThrow([&]() -> Result<Config> {
    ConfigBuilder builder;
    QUARRY_RETURN_NOT_OK(builder.AddFile(text, file, base_dir.empty() ? "." : base_dir));
    return builder.Finish();
  });
}

}  // namespace quarry::config
