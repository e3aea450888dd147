#include "quarry/schema/docs.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace quarry::schema {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> IncrementalKeys(const schema::Table& t) {
  std::vector<std::string> keys;
  for (const auto& c : t.columns) {
    if (c.incremental_key) keys.push_back(c.name);
  }
  return keys;
}

Json TableJson(const schema::Table& t) {
  Json j;
  j["name"] = t.name;
  j["title"] = t.title;
  j["description"] = t.description;
  Json cols = Json::array();
  for (const auto& c : t.columns) {
    Json col;
    col["name"] = c.name;
    col["type"] = c.type->ToString();
    col["is_primary_key"] = c.primary_key;
    col["is_incremental_key"] = c.incremental_key;
    col["is_primary_key_component"] = false;
    col["not_null"] = c.not_null;
    col["unique"] = c.unique;
    if (!c.description.empty()) col["description"] = c.description;
    cols.push_back(std::move(col));
  }
  j["columns"] = std::move(cols);
  Json rel = Json::array();
  for (const auto& child : t.relations) rel.push_back(TableJson(*child));
  j["relations"] = std::move(rel);
  j["is_incremental"] = t.is_incremental;
  j["incremental_keys"] = IncrementalKeys(t);
  return j;
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsWordChar(char c) { return IsAsciiAlnum(c) || (static_cast<unsigned char>(c) & 0x80) != 0; }

// A name as Markdown text: characters that Markdown (or a GitHub table) would read as markup
// are escaped. An `_` makes emphasis only with one that ends a word (followed by the end, a space
// or punctuation): without such a closer — snake_case, _cq_id — names are left as they are.
std::string Text(std::string_view name) {
  bool closer = false;
  for (size_t i = 0; i < name.size(); ++i) {
    closer = closer || (name[i] == '_' &&
                        (i + 1 == name.size() || (!IsWordChar(name[i + 1]) && name[i + 1] != '_')));
  }
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool inside_word =
        i > 0 && i + 1 < name.size() && IsWordChar(name[i - 1]) && IsWordChar(name[i + 1]);
    if (std::string_view("\\`*[]<>|#!&~").find(c) != std::string_view::npos ||
        (c == '_' && closer && !inside_word)) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// The file of a table's page: its name + ".md", with `/` (which a file name cannot hold) as %2F
// and `%` as %25, so that no two tables share a page.
std::string PageFile(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out + ".md";
}

// A link to a table's page: its file name, percent-encoded as a URL path segment.
std::string Link(std::string_view name) {
  std::string out;
  for (char c : PageFile(name)) {
    if (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

void AddPages(const schema::Table& t, std::map<std::string, std::string>* pages, std::string* index,
              int depth) {
  *index += fmt::format("{}- [{}]({}){}\n", std::string(static_cast<size_t>(depth) * 2, ' '),
                        Text(t.name), Link(t.name), t.is_incremental ? " (Incremental)" : "");
  std::string md = fmt::format("# Table: {}\n\n", Text(t.name));
  if (!t.description.empty()) md += t.description + "\n\n";
  if (t.is_incremental) {
    std::string keys;
    for (const auto& k : IncrementalKeys(t)) keys += (keys.empty() ? "" : ", ") + Text(k);
    md += fmt::format(
        "This table is **incremental**: each sync fetches only rows past its "
        "cursor ({}).\n\n",
        keys.empty() ? "set by the source" : keys);
  }
  const auto pks = t.PrimaryKeys();
  if (!pks.empty()) {
    std::string s;
    for (const auto& k : pks) s += (s.empty() ? "" : ", ") + Text(k);
    md += fmt::format("The primary key for this table is **{}**.\n\n", s);
  }
  if (!t.parent.empty()) {
    md += fmt::format("This table depends on [{}]({}).\n\n", Text(t.parent), Link(t.parent));
  }
  if (!t.relations.empty()) {
    md += "The following tables depend on " + Text(t.name) + ":\n";
    for (const auto& c : t.relations) {
      md += fmt::format("  - [{}]({})\n", Text(c->name), Link(c->name));
    }
    md += "\n";
  }
  md +=
      "## Columns\n\n| Name | Type | Notes |\n| ------------- | ------------- | ------------- |\n";
  for (const auto& c : t.columns) {
    std::string notes;
    if (c.primary_key) notes += "primary key";
    if (c.incremental_key) notes += std::string(notes.empty() ? "" : ", ") + "incremental key";
    if (c.not_null && !c.primary_key) notes += std::string(notes.empty() ? "" : ", ") + "not null";
    md += fmt::format("| {} | `{}` | {} |\n", Text(c.name), c.type->ToString(), notes);
  }
  (*pages)[PageFile(t.name)] = std::move(md);
  for (const auto& child : t.relations) AddPages(*child, pages, index, depth + 1);
}

}  // namespace

std::string TablesJson(const std::vector<schema::TablePtr>& tree) {
  Json arr = Json::array();
  for (const auto& t : tree) arr.push_back(TableJson(*t));
  return arr.dump(2) + "\n";
}

std::map<std::string, std::string> TablesMarkdown(const std::vector<schema::TablePtr>& tree) {
  std::map<std::string, std::string> pages;
  std::string index = "# Source Plugin Tables\n\n## Tables\n\n";
  for (const auto& t : tree) AddPages(*t, &pages, &index, 0);
  pages["README.md"] = std::move(index);
  return pages;
}

}  // namespace quarry::schema
