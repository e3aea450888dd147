// Migrations: the schema as the catalog has it, and schema::PlanMigration's plans rendered as
// SQL, all tables of one Migrate call in one transaction under a per-schema advisory lock.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <string>

#include "plugins/destination/postgresql/pg_types.h"
#include "plugins/destination/postgresql/postgresql_destination_impl.h"

namespace quarry::plugins::postgresql {
namespace {

using sql::Quote;
using sql::QuoteList;

// First key of the transaction-level advisory lock that serialises migrations of one schema
// ("QRRY"); the second is hashtext(schema).
constexpr int32_t kMigrateLockClass = 0x51525259;

}  // namespace

Result<std::optional<std::vector<schema::ColumnDef>>> PostgresqlDestination::ExistingColumns(
    const std::string& table) {
  const std::string what = fmt::format("table {}: read columns from the catalog", table);
  QUARRY_ASSIGN_OR_RETURN(
      PgResult rel, Query("SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
                          "AND c.relkind IN ('r', 'p')",
                          {schema_, table}, what));
  if (PQntuples(rel.get()) == 0) return std::optional<std::vector<schema::ColumnDef>>();
  const std::string oid = PQgetvalue(rel.get(), 0, 0);
  QUARRY_ASSIGN_OR_RETURN(
      PgResult cols,
      Query("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "COALESCE(a.attnum = ANY (i.indkey), false) "
            "FROM pg_catalog.pg_attribute a "
            "LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
            "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            {oid}, what));
  std::vector<schema::ColumnDef> defs;
  for (int r = 0; r < PQntuples(cols.get()); ++r) {
    defs.push_back({PQgetvalue(cols.get(), r, 0), PQgetvalue(cols.get(), r, 1),
                    PQgetvalue(cols.get(), r, 2)[0] == 't',
                    PQgetvalue(cols.get(), r, 3)[0] == 't'});
  }
  return std::optional<std::vector<schema::ColumnDef>>(std::move(defs));
}

Status PostgresqlDestination::CreateTable(const std::string& table,
                                          const schema::MigrationPlan& plan) {
  std::string sql = fmt::format("CREATE TABLE {} (", Qualified(table));
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    const schema::ColumnDef& c = plan.columns[i];
    if (i > 0) sql += ", ";
    sql += fmt::format("{} {}{}", Quote(c.name), c.type, c.not_null ? " NOT NULL" : "");
  }
  if (!plan.keys.empty()) sql += fmt::format(", PRIMARY KEY ({})", QuoteList(plan.keys));
  sql += ")";
  return Exec(sql, fmt::format("create table {}", table));
}

Status PostgresqlDestination::MigrateTable(const schema::Table& table,
                                           std::vector<std::string>* refused) {
  if (table.name.size() > kMaxIdentifier) {
    return Status::Invalid(fmt::format("table {}: the name is longer than PostgreSQL's {} bytes",
                                       table.name, kMaxIdentifier));
  }
  for (const auto& c : table.columns) {
    if (c.name.size() > kMaxIdentifier) {
      return Status::Invalid(
          fmt::format("table {}: column {}: the name is longer than "
                      "PostgreSQL's {} bytes",
                      table.name, c.name, kMaxIdentifier));
    }
  }
  QUARRY_ASSIGN_OR_RETURN(auto have, ExistingColumns(table.name));
  const schema::MigrationPlan plan = schema::PlanMigration(table, have, migration_, PgType);
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
        logger_->Warn("postgresql: dropping and recreating table (migrate_mode: forced)",
                      {{"table", table.name}, {"schema", schema_}, {"changes", plan.reason}});
      }
      QUARRY_RETURN_NOT_OK(
          Exec("DROP TABLE " + Qualified(table.name), fmt::format("drop table {}", table.name)));
      return CreateTable(table.name, plan);
    case schema::MigrationAction::kAddColumns:
      for (const auto& c : plan.add) {
        QUARRY_RETURN_NOT_OK(Exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}",
                                              Qualified(table.name), Quote(c.name), c.type),
                                  fmt::format("table {}: add column {}", table.name, c.name)));
      }
      return Status::OK();
  }
  return Status::OK();
}

Status PostgresqlDestination::Migrate(const std::vector<schema::TablePtr>& tables) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (tables.empty()) return Status::OK();
  QUARRY_RETURN_NOT_OK(Exec("BEGIN", "migrate: begin"));
  std::vector<std::string> refused;
  auto run = [&]() -> Status {
    // Two syncs migrating the same schema would both find a table missing and both create it.
    QUARRY_RETURN_NOT_OK(
        Query(fmt::format("SELECT pg_advisory_xact_lock({}, hashtext($1))", kMigrateLockClass),
              {schema_}, "migrate: lock")
            .status());
    QUARRY_ASSIGN_OR_RETURN(
        PgResult ns, Query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema_},
                           "migrate: read schemas"));
    if (PQntuples(ns.get()) == 0) {
      QUARRY_RETURN_NOT_OK(
          Exec("CREATE SCHEMA " + Quote(schema_), fmt::format("create schema {}", schema_)));
    }
    for (const auto& tp : tables) {
      infos_.erase(tp->name);
      QUARRY_RETURN_NOT_OK(MigrateTable(*tp, &refused));
    }
    return Status::OK();
  };
  Status st = run();
  if (st.ok()) st = schema::RefusedMigrations(refused);
  if (st.ok()) st = Exec("COMMIT", "migrate: commit");
  if (!st.ok()) Rollback();
  return st;
}

}  // namespace quarry::plugins::postgresql
