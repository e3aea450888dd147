#include "quarry/schema/table.h"

#include <fmt/format.h>

#include <set>

#include "quarry/base/glob.h"
#include "quarry/types/utf8.h"

namespace quarry::schema {

int Table::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> Table::PrimaryKeys() const {
  std::vector<std::string> pks;
  for (const auto& c : columns) {
    if (c.primary_key) pks.push_back(c.name);
  }
  return pks;
}

types::SchemaPtr ArrowSchemaOf(const Table& t) {
  std::vector<types::Field> fields;
  fields.reserve(t.columns.size());
  for (const auto& c : t.columns) {
    types::Metadata md = c.extra_metadata;
    if (c.primary_key) md["cq:extension:primary_key"] = "true";
    if (c.unique) md["cq:extension:unique"] = "true";
    if (c.incremental_key) md["cq:extension:incremental"] = "true";
    fields.push_back({c.name, c.type, !c.not_null, std::move(md)});
  }
  types::Metadata md = t.extra_metadata;
  md["cq:table_name"] = t.name;
  if (!t.title.empty()) md["cq:table_title"] = t.title;
  if (!t.description.empty()) md["cq:table_description"] = t.description;
  if (!t.parent.empty()) md["cq:table_depends_on"] = t.parent;
  if (t.is_incremental) md["cq:extension:incremental"] = "true";
  return std::make_shared<const types::Schema>(std::move(fields), std::move(md));
}

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it does not start with
// one.
size_t Utf8SequenceLength(std::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  const size_t n = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
  return n <= s.size() && types::IsValidUtf8(s.substr(0, n)) ? n : 0;
}

Result<TablePtr> FinalizeWithParent(Table t, const std::string& parent) {
  if (auto problem = NameProblem(t.name); !problem.empty()) {
    return Status::Invalid(
        fmt::format("invalid table name \"{}\": {}", PrintableName(t.name), problem));
  }
  t.parent = parent;
  std::set<std::string> names;
  for (const auto& c : t.columns) {
    if (auto problem = NameProblem(c.name); !problem.empty()) {
      return Status::Invalid(fmt::format("table {}: invalid column name \"{}\": {}", t.name,
                                         PrintableName(c.name), problem));
    }
    if (!c.type)
      return Status::Invalid(fmt::format("table {}: column {} has no type", t.name, c.name));
    if (!names.insert(c.name).second) {
      return Status::Invalid(fmt::format("table {}: duplicate column {}", t.name, c.name));
    }
  }
  std::vector<TablePtr> children;
  for (const auto& child : t.relations) {
    QUARRY_ASSIGN_OR_RETURN(TablePtr c, FinalizeWithParent(*child, t.name));
    children.push_back(std::move(c));
  }
  t.relations = std::move(children);
  t.arrow_schema = ArrowSchemaOf(t);
  return TablePtr(std::make_shared<const Table>(std::move(t)));
}

}  // namespace

Result<TablePtr> Finalize(Table table) { return FinalizeWithParent(std::move(table), ""); }

std::string NameProblem(std::string_view name) {
  if (name.empty()) return "empty";
  if (!types::IsValidUtf8(name)) return "not valid UTF-8";
  if (name.find('\0') != std::string_view::npos) return "holds a NUL character";
  return "";
}

std::string PrintableName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  while (!name.empty()) {
    const size_t n = Utf8SequenceLength(name);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(name[0]));
      name.remove_prefix(1);
    } else {
      out.append(name.substr(0, n));
      name.remove_prefix(n);
    }
  }
  return out;
}

bool IsCqColumn(std::string_view name) {
  return name == kCqSourceName || name == kCqSyncTime || name == kCqId || name == kCqParentId;
}

TablePtr WithCqColumns(const Table& table, bool cq_id_only) {
  Table t = table;
  // Tables from CloudQuery plugins arrive with _cq_id and _cq_parent_id already; only the missing
  // columns are added, in the usual order, in front.
  const bool had_id = t.ColumnIndex(kCqId) >= 0;
  bool has_pk = false;
  for (auto& c : t.columns) {
    if (cq_id_only) c.primary_key = c.name == kCqId;
    has_pk = has_pk || c.primary_key;
  }
  std::vector<Column> cols;
  if (t.ColumnIndex(kCqSourceName) < 0) {
    cols.push_back(
        {std::string(kCqSourceName), types::utf8(), "Name of the source that synced the row"});
  }
  if (t.ColumnIndex(kCqSyncTime) < 0) {
    cols.push_back({std::string(kCqSyncTime), types::timestamp(),
                    "Start time of the sync that wrote the row"});
  }
  if (!had_id) {
    Column id{std::string(kCqId), types::uuid(), "Unique id of the row"};
    id.not_null = true;
    id.unique = true;
    id.primary_key = !has_pk;
    cols.push_back(id);
  } else if (!has_pk) {
    for (auto& c : t.columns) c.primary_key = c.name == kCqId;
  }
  if (t.ColumnIndex(kCqParentId) < 0) {
    cols.push_back({std::string(kCqParentId), types::uuid(), "_cq_id of the parent row"});
  }
  t.columns.insert(t.columns.begin(), cols.begin(), cols.end());
  std::vector<TablePtr> children;
  for (const auto& child : t.relations) children.push_back(WithCqColumns(*child, cq_id_only));
  t.relations = std::move(children);
  t.arrow_schema = ArrowSchemaOf(t);
  return std::make_shared<const Table>(std::move(t));
}

std::vector<TablePtr> Flatten(const std::vector<TablePtr>& tree) {
  std::vector<TablePtr> out;
  for (const auto& t : tree) {
    out.push_back(t);
    auto sub = Flatten(t->relations);
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

namespace {

bool Matches(std::string_view pattern, const Table& t) {
  return GlobMatch(pattern, t.name) ||
         (!t.qualified_name.empty() && GlobMatch(pattern, t.qualified_name));
}

bool MatchesAny(const std::vector<std::string>& patterns, const Table& t) {
  for (const auto& p : patterns) {
    if (Matches(p, t)) return true;
  }
  return false;
}

// Returns the selected copy of `t`, or nullptr when neither it nor a descendant is selected.
TablePtr SelectTree(const Table& t, const TableSelection& sel, bool parent_selected) {
  if (MatchesAny(sel.skip_tables, t)) return nullptr;
  const bool selected =
      MatchesAny(sel.tables, t) || (parent_selected && !sel.skip_dependent_tables);
  std::vector<TablePtr> children;
  for (const auto& c : t.relations) {
    if (auto kept = SelectTree(*c, sel, selected)) children.push_back(std::move(kept));
  }
  if (!selected && children.empty()) return nullptr;
  Table copy = t;
  copy.relations = std::move(children);
  return std::make_shared<const Table>(std::move(copy));
}

}  // namespace

Result<std::vector<TablePtr>> SelectTables(const std::vector<TablePtr>& tree,
                                           const TableSelection& selection) {
  if (selection.tables.empty()) {
    return Status::Invalid("tables: at least one pattern is required (use [\"*\"] for all tables)");
  }
  const auto all = Flatten(tree);
  auto check = [&](const std::vector<std::string>& patterns, std::string_view key) -> Status {
    for (const auto& p : patterns) {
      bool hit = false;
      for (const auto& t : all) hit = hit || Matches(p, *t);
      if (!hit) {
        std::string names;
        for (const auto& t : all) names += (names.empty() ? "" : ", ") + t->name;
        return Status::Invalid(
            fmt::format("{}: pattern \"{}\" matches no table (tables: {})", key, p, names));
      }
    }
    return Status::OK();
  };
  QUARRY_RETURN_NOT_OK(check(selection.tables, "tables"));
  QUARRY_RETURN_NOT_OK(check(selection.skip_tables, "skip_tables"));
  std::vector<TablePtr> out;
  for (const auto& t : tree) {
    if (auto kept = SelectTree(*t, selection, false)) out.push_back(std::move(kept));
  }
  return out;
}

}  // namespace quarry::schema
