#include "quarry/schema/migration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace quarry::schema {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// "a; b; c" of the changes a migration would need; columns left in place are not worth a word.
std::string ListChanges(const std::vector<TableChange>& changes) {
  std::string list;
  for (const auto& c : changes) {
    if (c.kind == ChangeKind::kRemoveColumn) continue;
    if (!list.empty()) list += "; ";
    list += Describe(c);
  }
  return list;
}

}  // namespace

std::vector<std::string> KeyColumns(const Table& table, const MigrationOptions& options) {
  if (!options.keys) return {};
  if (options.cq_id_only && table.ColumnIndex(kCqId) >= 0) return {std::string(kCqId)};
  return table.PrimaryKeys();
}

std::vector<ColumnDef> WantedColumns(const Table& table, const MigrationOptions& options,
                                     const TypeName& type_name) {
  const auto keys = KeyColumns(table, options);
  std::vector<ColumnDef> defs;
  defs.reserve(table.columns.size());
  for (const auto& c : table.columns) {
    defs.push_back({c.name, type_name(*c.type), c.not_null,
                    std::find(keys.begin(), keys.end(), c.name) != keys.end()});
  }
  return defs;
}

MigrationPlan PlanMigration(const Table& table, const std::optional<std::vector<ColumnDef>>& have,
                            const MigrationOptions& options, const TypeName& type_name) {
  MigrationPlan plan;
  plan.columns = WantedColumns(table, options, type_name);
  plan.keys = KeyColumns(table, options);
  if (!have) {
    plan.action = MigrationAction::kCreate;
    return plan;
  }
  std::vector<ColumnDef> existing = *have;
  if (options.names_ignore_case) {
    for (auto& h : existing) {
      for (const auto& w : plan.columns) {
        if (EqualsIgnoreCase(h.name, w.name)) h.name = w.name;
      }
    }
  }
  const auto changes = DiffColumns(existing, plan.columns);
  if (std::any_of(changes.begin(), changes.end(), [](const auto& c) { return !IsSafe(c); })) {
    if (options.forced) {
      plan.action = MigrationAction::kRebuild;
      plan.reason = ListChanges(changes);
    } else {
      plan.action = MigrationAction::kRefuse;
      plan.reason = fmt::format("table {}: safe migration refused (use migrate_mode: forced): {}",
                                table.name, ListChanges(changes));
    }
    return plan;
  }
  for (const auto& w : plan.columns) {
    const bool added = std::any_of(changes.begin(), changes.end(), [&](const TableChange& c) {
      return c.kind == ChangeKind::kAddColumn && c.column == w.name;
    });
    if (added) plan.add.push_back(w);
  }
  plan.action = plan.add.empty() ? MigrationAction::kNothing : MigrationAction::kAddColumns;
  return plan;
}

Status RefusedMigrations(const std::vector<std::string>& refusals) {
  if (refusals.empty()) return Status::OK();
  std::string msg;
  for (const auto& r : refusals) msg += (msg.empty() ? "" : "\n") + r;
  return Status::Invalid(std::move(msg));
}

}  // namespace quarry::schema
