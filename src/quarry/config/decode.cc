#include "quarry/config/decode.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "quarry/config/input.h"

namespace quarry::config::internal {
namespace {

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

}  // namespace

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
Status SpecDecoder::Error(const std::string& key, std::string_view problem) const {
  if (spec_->name.empty()) {
    return Status::Invalid(
        fmt::format("{}: {}: {}: {}", spec_->Locate(key).ToString(), spec_->kind, key, problem));
  }
  return spec_->ErrorAt(key, fmt::format("{}: {}", key, problem));
}

Result<std::vector<Entry>> SpecDecoder::Entries(const YAML::Node& map, const std::string& path) {
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

Status SpecDecoder::DuplicateKey(const std::string& key, const Location& loc,
                                 const Location& first) {
  spec_->key_locations[key] = loc;
  return Error(key, fmt::format("duplicate key (first written at line {})", first.line));
}

Result<std::string> SpecDecoder::String(const std::string& key, const YAML::Node& v,
                                        bool non_empty) {
  if (!v.IsScalar()) return Error(key, fmt::format("expected a string, got {}", Describe(v)));
  if (non_empty && v.Scalar().empty()) return Error(key, "must not be empty");
  return v.Scalar();
}

Result<bool> SpecDecoder::Bool(const std::string& key, const YAML::Node& v) {
  if (IsPlain(v)) {
    const json j = InferScalar(v.Scalar());
    if (j.is_boolean()) return j.get<bool>();
  }
  return Error(key, fmt::format("expected true or false, got {}", Describe(v)));
}

Result<int64_t> SpecDecoder::Int(const std::string& key, const YAML::Node& v) {
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

Result<std::vector<std::string>> SpecDecoder::StringList(const std::string& key,
                                                         const YAML::Node& v) {
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

Result<json> SpecDecoder::Json(const YAML::Node& n, const std::string& path, bool record,
                               size_t depth) {
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

Result<json> SpecDecoder::JsonObject(const YAML::Node& n, const std::string& path, bool record,
                                     size_t depth) {
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

}  // namespace quarry::config::internal
