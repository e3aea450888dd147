#include "plugins/destination/sqlite/sqlite_destination.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <string>

#include "plugins/common/sql_text.h"
#include "plugins/common/sqlite_path.h"
#include "plugins/destination/sqlite/sqlite_destination_impl.h"
#include "quarry/base/time.h"

namespace quarry::plugins {
namespace sqlite {

using sql::Quote;

Status SqliteDestination::Configure(const nlohmann::json& spec) {
  plugin::SpecReader reader(spec);
  std::string conn = reader.String("connection_string", "");
  batch_ =
      plugin::ReadBatchOptions(reader, plugin::BatchOptions{10'000, 10 * 1024 * 1024, 20'000'000});
  QUARRY_RETURN_NOT_OK(reader.Finish());
  if (conn.empty()) {
    return Status::Invalid(
        "spec.connection_string: required (the path of the SQLite database file, e.g. "
        "./quarry.db)");
  }
  QUARRY_ASSIGN_OR_RETURN(path_, SqlitePathFromConnectionString(std::move(conn)));
  return Status::OK();
}

StatusCode SqliteDestination::ErrorCode() const {
  // Data that does not fit is the user's to fix; anything else is the outside world failing.
  const int rc = sqlite3_errcode(db_) & 0xff;
  return rc == SQLITE_CONSTRAINT || rc == SQLITE_MISMATCH || rc == SQLITE_TOOBIG
             ? StatusCode::kInvalidArgument
             : StatusCode::kIOError;
}

Status SqliteDestination::Error(std::string_view what) const {
  return Status(ErrorCode(), fmt::format("sqlite {}: {}: {}", path_, what,
                                         db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

Status SqliteDestination::CheckOpen() const {
  if (db_ == nullptr) return Status::Internal(fmt::format("sqlite {}: not initialized", path_));
  return Status::OK();
}

Status SqliteDestination::Exec(const std::string& sql, std::string_view what) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return Error(what);
  return Status::OK();
}

Result<Stmt> SqliteDestination::Prepare(const std::string& sql, std::string_view what,
                                        bool persistent) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                         persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  return Stmt(st);
}

void SqliteDestination::Rollback() {
  // SQLite may already have rolled back (e.g. on SQLITE_FULL); a second ROLLBACK would fail.
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status SqliteDestination::Init(const plugin::PluginContext& ctx,
                               const plugin::DestinationOptions& dest) {
  if (path_.empty()) return Status::Internal("sqlite: Init before Configure");
  QUARRY_RETURN_NOT_OK(Close());
  logger_ = ctx.logger;
  migration_.forced = dest.migrate_mode == plugin::MigrateMode::kForced;
  migration_.keys = dest.write_mode != plugin::WriteMode::kAppend;
  migration_.cq_id_only = dest.pk_mode == plugin::PkMode::kCqIdOnly;
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status st = Error("open");
    sqlite3_close(db_);
    db_ = nullptr;
    return st;
  }
  sqlite3_extended_result_codes(db_, 1);
  // Without this, a "column" that does not exist is silently taken as a string literal.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  // Before any statement that takes a lock: another connection may hold the file.
  sqlite3_busy_timeout(db_, 30'000);
  std::string journal_mode;
  if (sqlite3_exec(
          db_, "PRAGMA journal_mode=WAL",
          [](void* out, int n, char** values, char**) {
            if (n > 0 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
            return 0;
          },
          &journal_mode, nullptr) != SQLITE_OK) {
    return Error("set journal_mode=WAL");
  }
  // SQLite keeps the old mode without an error where WAL is impossible (in-memory databases,
  // some network file systems); writes still work, only concurrent access suffers.
  if (journal_mode != "wal" && logger_ != nullptr) {
    logger_->Warn("sqlite: WAL journal mode not available",
                  {{"file", path_}, {"journal_mode", journal_mode}});
  }
  QUARRY_RETURN_NOT_OK(Exec("PRAGMA synchronous=NORMAL", "set synchronous=NORMAL"));
  // 64 MiB of page cache: index pages of large upserted tables stay in memory.
  QUARRY_RETURN_NOT_OK(Exec("PRAGMA cache_size=-65536", "set cache_size"));
  QUARRY_RETURN_NOT_OK(Exec("PRAGMA temp_store=MEMORY", "set temp_store"));
  max_variables_ = sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  return Status::OK();
}

Status SqliteDestination::Close() {
  if (in_transaction_) RollbackTransaction();
  writers_.clear();  // finalizes the statements
  if (db_ == nullptr) return Status::OK();
  if (sqlite3_close(db_) != SQLITE_OK) return Error("close");
  db_ = nullptr;
  return Status::OK();
}

Status SqliteDestination::BeginTransaction() {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (in_transaction_)
    return Status::Internal(fmt::format("sqlite {}: transaction already open", path_));
  QUARRY_RETURN_NOT_OK(Begin("begin"));
  in_transaction_ = true;
  return Status::OK();
}

Status SqliteDestination::CommitTransaction() {
  if (!in_transaction_)
    return Status::Internal(fmt::format("sqlite {}: no open transaction", path_));
  in_transaction_ = false;
  Status st = Commit("commit");
  if (!st.ok()) Rollback();
  return st;
}

void SqliteDestination::RollbackTransaction() {
  Rollback();
  in_transaction_ = false;
}

Result<int64_t> SqliteDestination::DeleteStale(const schema::Table& table,
                                               std::string_view source_name, int64_t sync_time_us) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  const std::string what = fmt::format("table {}: delete stale rows", table.name);
  QUARRY_ASSIGN_OR_RETURN(
      Stmt st, Prepare(fmt::format("DELETE FROM {} WHERE {} = ?1 AND {} < ?2", Quote(table.name),
                                   Quote(schema::kCqSourceName), Quote(schema::kCqSyncTime)),
                       what));
  char time[26];
  FormatTimestampMicros(sync_time_us, time);
  sqlite3_bind_text(st.get(), 1, source_name.empty() ? kEmpty : source_name.data(),
                    static_cast<int>(source_name.size()), SQLITE_STATIC);
  sqlite3_bind_text(st.get(), 2, time, 26, SQLITE_STATIC);
  QUARRY_RETURN_NOT_OK(Begin(what));
  if (sqlite3_step(st.get()) != SQLITE_DONE) {
    Status err = Error(what);
    st.reset();
    Rollback();
    return err;
  }
  const int64_t deleted = sqlite3_changes64(db_);
  st.reset();
  Status commit = Commit(what);
  if (!commit.ok()) {
    Rollback();
    return commit;
  }
  return deleted;
}

}  // namespace sqlite

std::unique_ptr<plugin::DestinationPlugin> NewSqliteDestination() {
  return std::make_unique<sqlite::SqliteDestination>();
}

}  // namespace quarry::plugins
