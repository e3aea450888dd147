// The postgresql destination's class, shared by the files that implement it (internal to this
// folder; users include postgresql_destination.h):
//   postgresql_destination.cc  options, connection, errors, transactions, delete-stale
//   postgresql_migrate.cc      reading the catalog and rendering migration plans as SQL
//   postgresql_write.cc        Write/WriteAll/CheckValues through binary COPY (pg_copy.h)
//   postgresql_read.cc         Read
//   postgresql_lock.cc         TryLock (session advisory locks)
// Not thread-safe, as every DestinationPlugin (CheckValues excepted, see its contract).
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/pg_connection.h"
#include "plugins/common/sql_text.h"
#include "plugins/destination/postgresql/pg_copy.h"
#include "quarry/plugin/destination.h"
#include "quarry/schema/migration.h"

namespace quarry::plugins::postgresql {

// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1).
inline constexpr size_t kMaxIdentifier = 63;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// The message of a failed result ("primary (detail)") and whether the data was at fault.
std::string ResultMessage(const pg::Connection* conn, const PGresult* res, StatusCode* code);

// A connection with the user's string (DSN or URI) expanded, our defaults and timeouts. Errors
// read "postgresql: <what>: …".
Result<std::unique_ptr<pg::Connection>> Connect(const std::string& conninfo,
                                                const pg::Timeouts& timeouts,
                                                std::string_view what);

// What Write needs for one table, rebuilt when the table's columns change.
struct TableInfo {
  std::string name;
  // A direct COPY into the table hit an existing key in this session: upsert through staging.
  bool had_conflict = false;
  std::string qualified;  // "schema"."table"
  std::vector<std::string> names;
  std::vector<types::TypePtr> types;
  std::vector<int> required;  // not-null and key columns
  std::vector<std::string> keys;
  std::string columns;        // "a", "b"
  std::string upsert_select;  // SELECT DISTINCT ON (keys) cols FROM
  std::string upsert_tail;    // ORDER BY … ON CONFLICT … DO …
};

class PostgresqlDestination final : public plugin::DestinationPlugin {
 public:
  ~PostgresqlDestination() override { (void)Close(); }

  Status Configure(const nlohmann::json& spec) override;
  plugin::BatchOptions batch_options() const override { return batch_; }
  Status Init(const plugin::PluginContext& ctx, const plugin::DestinationOptions& dest) override;
  Status Migrate(const std::vector<schema::TablePtr>& tables) override;
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override;
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override;
  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override;
  Result<std::unique_ptr<plugin::SyncLock>> TryLock(std::string_view name) override;
  Status CheckValues(const schema::Table& table, const types::RecordBatch& batch,
                     int64_t first_row) const override;
  bool has_transactions() const override { return true; }
  Status BeginTransaction() override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override;
  Status Close() override;

 private:
  // The one place libpq errors become a Status: "postgresql: <what>: <message>".
  Status Error(std::string_view what, const PGresult* res = nullptr) const;
  Status CheckOpen() const;
  Status Exec(const std::string& sql, std::string_view what);
  // `params` are text; nullopt is NULL.
  Result<PgResult> Query(const std::string& sql,
                         const std::vector<std::optional<std::string>>& params,
                         std::string_view what);
  void Rollback();

  std::string Qualified(std::string_view table) const {
    return sql::Quote(schema_) + "." + sql::Quote(table);
  }
  // The table's columns as the catalog has them; nullopt when there is no such table.
  Result<std::optional<std::vector<schema::ColumnDef>>> ExistingColumns(const std::string& table);
  // CREATE TABLE of a plan's columns and key.
  Status CreateTable(const std::string& table, const schema::MigrationPlan& plan);
  // Renders one table's plan; a refusal is added to `refused`.
  Status MigrateTable(const schema::Table& table, std::vector<std::string>* refused);

  Result<TableInfo*> InfoFor(const schema::Table& table);
  Status CheckWrite(const TableInfo& info, const std::vector<types::RecordBatchPtr>& batches,
                    int64_t* rows) const;
  Status WriteTable(TableInfo& info, const std::vector<types::RecordBatchPtr>& batches);
  // COPY … FROM STDIN (FORMAT binary) of every row of `batches` into `target` (a quoted name;
  // `relname` is its bare name as the server reports it in errors).
  Status CopyIn(TableInfo& info, const std::vector<types::RecordBatchPtr>& batches,
                const std::string& target, std::string_view relname);
  // Turns the error of a COPY into "table t: column c, row r: …" when the server says where.
  Status CopyError(const TableInfo& info, const PGresult* res, std::string_view relname) const;
  // Whether the last failed COPY failed on a unique key (SQLSTATE 23505).
  bool copy_unique_violation_ = false;

  std::string conninfo_;
  pg::Timeouts timeouts_;
  std::string schema_ = "public";
  plugin::BatchOptions batch_;
  schema::MigrationOptions migration_;  // from write_mode, migrate_mode and pk_mode
  Logger* logger_ = nullptr;
  std::unique_ptr<pg::Connection> conn_;
  int64_t stage_counter_ = 0;
  bool in_transaction_ = false;  // between BeginTransaction and Commit/RollbackTransaction
  CopyBuffer buffer_;
  std::map<std::string, std::unique_ptr<TableInfo>, std::less<>> infos_;
};

}  // namespace quarry::plugins::postgresql
