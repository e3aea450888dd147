// Migrations: the schema as SQLite has it (pragma_table_info), and schema::PlanMigration's plans
// rendered as SQL, all tables of one Migrate call in one transaction.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "plugins/common/sql_text.h"
#include "plugins/destination/sqlite/sqlite_destination_impl.h"

namespace quarry::plugins::sqlite {
namespace {

using sql::Quote;
using sql::QuoteList;
using types::TypeId;

// The column type, lower case as SQLite reports our own type names back.
std::string SqliteType(const types::DataType& t) {
  if (t.is_integer()) return "integer";
  switch (t.id()) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return "real";
    case TypeId::kBool:
      return "boolean";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kBinary:
      return "blob";
    default:
      return "text";
  }
}

}  // namespace

Result<std::optional<std::vector<schema::ColumnDef>>> SqliteDestination::ExistingColumns(
    const std::string& table) {
  const std::string what = fmt::format("read columns of table {}", table);
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st, Prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", what));
  sqlite3_bind_text(st.get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
  std::vector<schema::ColumnDef> defs;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    auto text = [&](int i) {
      const auto* p = sqlite3_column_text(st.get(), i);
      return std::string(p != nullptr ? reinterpret_cast<const char*>(p) : "");
    };
    // SQLite reports the standard type names in upper case (INTEGER, TEXT, …), others as
    // declared; ours are lower case.
    std::string type = text(1);
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    defs.push_back({text(0), std::move(type), sqlite3_column_int(st.get(), 2) != 0,
                    sqlite3_column_int(st.get(), 3) > 0});
  }
  if (rc != SQLITE_DONE) return Error(what);
  if (defs.empty()) return std::optional<std::vector<schema::ColumnDef>>();
  return std::optional<std::vector<schema::ColumnDef>>(std::move(defs));
}

Status SqliteDestination::CreateTable(const std::string& table, const schema::MigrationPlan& plan) {
  std::string sql = fmt::format("CREATE TABLE {} (", Quote(table));
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    const schema::ColumnDef& c = plan.columns[i];
    if (i > 0) sql += ", ";
    sql += fmt::format("{} {}{}", Quote(c.name), c.type, c.not_null ? " NOT NULL" : "");
  }
  if (!plan.keys.empty()) sql += fmt::format(", PRIMARY KEY ({})", QuoteList(plan.keys));
  sql += ")";
  return Exec(sql, fmt::format("create table {}", table));
}

Status SqliteDestination::ApplyPlan(const schema::Table& table, std::vector<std::string>* refused) {
  QUARRY_ASSIGN_OR_RETURN(auto have, ExistingColumns(table.name));
  const schema::MigrationPlan plan = schema::PlanMigration(table, have, migration_, SqliteType);
  switch (plan.action) {
    case schema::MigrationAction::kNothing:
      return Status::OK();
    case schema::MigrationAction::kCreate:
      return CreateTable(table.name, plan);
    case schema::MigrationAction::kRefuse:
      refused->push_back(plan.reason);
      return Status::OK();
    case schema::MigrationAction::kRebuild:
      if (logger_ != nullptr) {
        logger_->Warn("sqlite: dropping and recreating table (migrate_mode: forced)",
                      {{"table", table.name}, {"file", path_}, {"changes", plan.reason}});
      }
      QUARRY_RETURN_NOT_OK(
          Exec("DROP TABLE " + Quote(table.name), fmt::format("drop table {}", table.name)));
      return CreateTable(table.name, plan);
    case schema::MigrationAction::kAddColumns:
      for (const auto& c : plan.add) {
        QUARRY_RETURN_NOT_OK(Exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", Quote(table.name),
                                              Quote(c.name), c.type),
                                  fmt::format("table {}: add column {}", table.name, c.name)));
      }
      return Status::OK();
  }
  return Status::OK();
}

Status SqliteDestination::Migrate(const std::vector<schema::TablePtr>& tables) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (tables.empty()) return Status::OK();
  QUARRY_RETURN_NOT_OK(Begin("migrate: begin"));
  std::vector<std::string> refused;
  Status st;
  for (size_t i = 0; st.ok() && i < tables.size(); ++i) {
    writers_.erase(tables[i]->name);
    st = ApplyPlan(*tables[i], &refused);
  }
  if (st.ok()) st = schema::RefusedMigrations(refused);
  if (st.ok()) st = Commit("migrate: commit");
  if (!st.ok()) Rollback();
  return st;
}

}  // namespace quarry::plugins::sqlite
