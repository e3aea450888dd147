#include "quarry/schema/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace quarry::schema {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const ColumnDef* Find(const std::vector<ColumnDef>& cols, const std::string& name) {
  for (const auto& c : cols) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string PkList(const std::vector<ColumnDef>& cols) {
  std::string s;
  for (const auto& c : cols) {
    if (c.primary_key) s += (s.empty() ? "" : ", ") + c.name;
  }
  return "(" + s + ")";
}

}  // namespace

std::vector<TableChange> DiffColumns(const std::vector<ColumnDef>& have,
                                     const std::vector<ColumnDef>& want) {
  std::vector<TableChange> changes;
  for (const auto& w : want) {
    const ColumnDef* h = Find(have, w.name);
    if (h == nullptr) {
      const bool required = w.not_null || w.primary_key;
      changes.push_back(
          {required ? ChangeKind::kAddRequiredColumn : ChangeKind::kAddColumn, w.name, w.type});
      continue;
    }
    if (Lower(h->type) != Lower(w.type)) {
      changes.push_back(
          {ChangeKind::kChangeType, w.name, fmt::format("{} -> {}", h->type, w.type)});
    }
    if (h->not_null != w.not_null && !w.primary_key) {
      changes.push_back({ChangeKind::kChangeNotNull, w.name,
                         w.not_null ? "nullable -> not null" : "not null -> nullable"});
    }
  }
  for (const auto& h : have) {
    if (Find(want, h.name) == nullptr) {
      const bool required = h.not_null && !h.primary_key;
      changes.push_back(
          {required ? ChangeKind::kRemoveRequiredColumn : ChangeKind::kRemoveColumn, h.name, ""});
    }
  }
  if (PkList(have) != PkList(want)) {
    // Compare as sets of names in declaration order of `want`.
    bool same = true;
    for (const auto& w : want) {
      const ColumnDef* h = Find(have, w.name);
      if (w.primary_key != (h != nullptr && h->primary_key)) same = false;
    }
    for (const auto& h : have) {
      const ColumnDef* w = Find(want, h.name);
      if (h.primary_key && (w == nullptr || !w->primary_key)) same = false;
    }
    if (!same) {
      changes.push_back(
          {ChangeKind::kChangePrimaryKey, "", fmt::format("{} -> {}", PkList(have), PkList(want))});
    }
  }
  return changes;
}

bool IsSafe(const TableChange& change) {
  return change.kind == ChangeKind::kAddColumn || change.kind == ChangeKind::kRemoveColumn;
}

std::string Describe(const TableChange& c) {
  switch (c.kind) {
    case ChangeKind::kAddColumn:
      return fmt::format("add column {} ({})", c.column, c.detail);
    case ChangeKind::kAddRequiredColumn:
      return fmt::format("add not-null or primary-key column {} ({})", c.column, c.detail);
    case ChangeKind::kRemoveColumn:
      return fmt::format("column {} is no longer synced (left in place)", c.column);
    case ChangeKind::kRemoveRequiredColumn:
      return fmt::format("column {} is NOT NULL but no longer synced (inserts would fail)",
                         c.column);
    case ChangeKind::kChangeType:
      return fmt::format("change type of column {}: {}", c.column, c.detail);
    case ChangeKind::kChangeNotNull:
      return fmt::format("column {}: {}", c.column, c.detail);
    case ChangeKind::kChangePrimaryKey:
      return fmt::format("change primary key {}", c.detail);
  }
  return "unknown change";
}

}  // namespace quarry::schema
