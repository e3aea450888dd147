// The sqlite destination's class, shared by the files that implement it (internal to this
// folder; users include sqlite_destination.h):
//   sqlite_destination.cc  options, connection, errors, transactions, delete-stale
//   sqlite_migrate.cc      reading the schema back and rendering migration plans as SQL
//   sqlite_write.cc        Write/WriteAll through cached multi-row INSERTs (sqlite_bind.h)
//   sqlite_read.cc         Read
//   sqlite_lock.cc         TryLock (a file lock beside the database)
// Not thread-safe, as every DestinationPlugin.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/destination/sqlite/sqlite_bind.h"
#include "quarry/plugin/destination.h"
#include "quarry/schema/migration.h"

namespace quarry::plugins::sqlite {

class SqliteDestination final : public plugin::DestinationPlugin {
 public:
  ~SqliteDestination() override { (void)Close(); }

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
  bool has_transactions() const override { return true; }
  Status BeginTransaction() override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override;
  Status Close() override;

 private:
  // The one place sqlite errors become a Status: "sqlite <file>: <what>: <errmsg>".
  Status Error(std::string_view what) const;
  StatusCode ErrorCode() const;
  Status Exec(const std::string& sql, std::string_view what);
  // `persistent`: the statement is cached for many uses.
  Result<Stmt> Prepare(const std::string& sql, std::string_view what, bool persistent = false);
  Status Begin(std::string_view what) { return Exec("BEGIN IMMEDIATE", what); }
  Status Commit(std::string_view what) { return Exec("COMMIT", what); }
  void Rollback();
  Status CheckOpen() const;

  // The table's columns as SQLite has them; nullopt when there is no such table.
  Result<std::optional<std::vector<schema::ColumnDef>>> ExistingColumns(const std::string& table);
  // CREATE TABLE of a plan's columns and key.
  Status CreateTable(const std::string& table, const schema::MigrationPlan& plan);
  // Renders one table's plan; a refusal is added to `refused`.
  Status ApplyPlan(const schema::Table& table, std::vector<std::string>* refused);

  // Checks a write's batches (shape, NOT NULL) and returns the table's writer and row count.
  Status CheckWrite(const schema::Table& table, const std::vector<types::RecordBatchPtr>& batches,
                    TableWriter** w, int64_t* total_rows);
  Result<TableWriter*> WriterFor(const schema::Table& table);
  Status WriteRows(TableWriter& w, const std::vector<types::RecordBatchPtr>& batches,
                   int64_t total_rows);
  // Runs a bound statement; `bind_rc` is BindChunk's result.
  Status StepChunk(TableWriter& w, sqlite3_stmt* st, int64_t first_row, int bind_rc);
  Status LocateFailure(TableWriter& w, int64_t first_row, const Status& statement_error);

  std::string path_;
  plugin::BatchOptions batch_;
  // From write_mode, migrate_mode and pk_mode; SQLite matches names without regard to case.
  schema::MigrationOptions migration_{.names_ignore_case = true};
  Logger* logger_ = nullptr;
  sqlite3* db_ = nullptr;
  int max_variables_ = 32766;
  bool in_transaction_ = false;  // between BeginTransaction and Commit/RollbackTransaction
  std::map<std::string, std::unique_ptr<TableWriter>, std::less<>> writers_;
};

}  // namespace quarry::plugins::sqlite
