// The sqlite source plugin: options, the read-only connection every piece opens, and the
// SourcePlugin methods. The rest is in the files sqlite_source_impl.h lists.
#include "plugins/source/sqlite/sqlite_source.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/sql_text.h"
#include "plugins/common/sqlite_path.h"
#include "plugins/source/sqlite/sqlite_source_impl.h"
#include "quarry/plugin/spec_reader.h"

namespace quarry::plugins {
namespace sqlite_source {

Status SqliteError(sqlite3* db, std::string_view path, std::string_view what) {
  return Status::IOError(fmt::format("sqlite source {}: {}: {}", path, what,
                                     db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

Result<Db> OpenReadOnly(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return SqliteError(raw, path, "open");
  // A writer in rollback-journal mode locks readers out while it commits: wait for it.
  sqlite3_busy_timeout(raw, 30'000);
  if (sqlite3_exec(raw, "PRAGMA query_only=1", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(raw, path, "open");
  }
  return Result<Db>(std::move(db));
}

Result<Stmt> Prepare(sqlite3* db, std::string_view path, const std::string& sql,
                     std::string_view what) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db, path, what);
  }
  return Result<Stmt>(Stmt(st));
}

namespace {

using scheduler::ResolveContext;
using scheduler::RowWriter;
using sql::Join;
using types::TypeId;

class SqliteSource : public plugin::SourcePlugin {
 public:
  Status Configure(const nlohmann::json& spec) override {
    plugin::SpecReader r(spec);
    std::string conn = r.String("connection_string", "");
    const nlohmann::json* inc = r.Raw("incremental");
    Options o;
    o.chunk_size = r.Int("chunk_size", 10'000, 1);
    o.concurrency = r.Int("concurrency", 4, 1, 10'000);
    QUARRY_RETURN_NOT_OK(r.Finish());
    if (conn.empty()) {
      return Status::Invalid(
          "spec.connection_string: required (the path of the SQLite database file to read)");
    }
    QUARRY_ASSIGN_OR_RETURN(o.path, SqlitePathFromConnectionString(std::move(conn)));
    if (inc != nullptr) {
      if (!inc->is_object()) {
        return Status::Invalid(fmt::format(
            "spec.incremental: expected a mapping of table name to cursor column, got {}",
            inc->dump()));
      }
      for (const auto& [table, column] : inc->items()) {
        if (!column.is_string() || column.get_ref<const std::string&>().empty()) {
          return Status::Invalid(
              fmt::format("spec.incremental.{}: expected the name of the cursor column, got {}",
                          table, column.dump()));
        }
        o.incremental[table] = column.get<std::string>();
      }
    }
    o_ = std::move(o);
    return Status::OK();
  }

  Result<std::vector<schema::TablePtr>> Tables() const override {
    if (o_.path.empty()) return Status::Internal("sqlite source: Tables before Configure");
    QUARRY_ASSIGN_OR_RETURN(auto found, DiscoverTables(o_.path));
    std::vector<TableInfo> infos;
    for (const auto& d : found) infos.push_back(d.info);
    QUARRY_RETURN_NOT_OK(CheckIncremental(infos));

    std::vector<schema::TablePtr> out;
    for (const auto& d : found) {
      const TableInfo& info = d.info;
      schema::Table t;
      t.name = d.name;
      auto inc = o_.incremental.find(info.name);
      t.is_incremental = inc != o_.incremental.end();
      // The rowid never holds NULL, nor does a WITHOUT ROWID table's key; other key columns of
      // rowid tables may (an old SQLite quirk), unless declared NOT NULL.
      const bool rowid_key = !info.rowid.empty() && info.primary_key.size() == 1;
      for (const auto& ci : info.columns) {
        // A table that cannot sync is listed with the columns that could.
        if (!schema::NameProblem(ci.name).empty() || schema::IsCqColumn(ci.name)) continue;
        schema::Column c{ci.name, TypeFromDeclared(ci.declared)};
        c.primary_key = ci.pk > 0;
        c.not_null =
            ci.not_null ||
            (ci.pk > 0 && (info.rowid.empty() || (rowid_key && Upper(ci.declared) == "INTEGER")));
        c.incremental_key = t.is_incremental && inc->second == ci.name;
        t.columns.push_back(std::move(c));
      }
      auto table = schema::Finalize(std::move(t));
      if (!table.ok()) return table.status().WithContext(fmt::format("sqlite source {}", o_.path));
      out.push_back(table.MoveValue());
    }
    return out;
  }

  Status Init(const plugin::PluginContext& ctx) override {
    if (o_.path.empty()) return Status::Internal("sqlite source: Init before Configure");
    QUARRY_ASSIGN_OR_RETURN(db_, OpenReadOnly(o_.path));
    // Opening is lazy: reading the schema shows a missing or foreign file now.
    if (sqlite3_exec(db_.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return SqliteError(db_.get(), o_.path, "read schema");
    }
    return Status::OK();
  }

  Status Sync(const plugin::SyncRequest& request, plugin::MessageSink& sink) override {
    // Tables that cannot sync are reported, not migrated: no destination gets an empty copy.
    QUARRY_ASSIGN_OR_RETURN(auto found, DiscoverTables(o_.path));
    plugin::SyncRequest syncable = request;
    syncable.tables.clear();
    for (const auto& t : request.tables) {
      auto d = std::find_if(found.begin(), found.end(), [&](auto& x) { return x.name == t->name; });
      if (d == found.end() || d->problem.empty()) {
        syncable.tables.push_back(t);  // a table gone since Tables() fails in its resolver
        continue;
      }
      QUARRY_RETURN_NOT_OK(sink.Send(message::TableError{t->name, d->problem}));
    }
    std::map<std::string, scheduler::Resolver> resolvers;
    for (const auto& t : schema::Flatten(syncable.tables)) {
      resolvers[t->name] = [this, table = t, &syncable](const ResolveContext&, RowWriter& out) {
        return ReadTable(o_, *table, syncable.state, out);
      };
    }
    scheduler::SchedulerOptions so;
    so.concurrency = static_cast<int>(o_.concurrency);
    so.num_clients = 1;
    return scheduler::RunResolvers(syncable, resolvers, so, sink);
  }

  Status Close() override {
    db_.reset();
    return Status::OK();
  }

 private:
  // Every `incremental` entry names a table and a column that can hold a cursor.
  Status CheckIncremental(const std::vector<TableInfo>& infos) const {
    for (const auto& [table, column] : o_.incremental) {
      auto info =
          std::find_if(infos.begin(), infos.end(), [&](auto& i) { return i.name == table; });
      if (info == infos.end()) {
        return Status::Invalid(
            fmt::format("spec.incremental.{}: no table {} in {}", table, table, o_.path));
      }
      auto col = std::find_if(info->columns.begin(), info->columns.end(),
                              [&](auto& c) { return c.name == column; });
      if (col == info->columns.end()) {
        std::vector<std::string> names;
        for (const auto& c : info->columns) names.push_back(c.name);
        return Status::Invalid(
            fmt::format("spec.incremental.{}: table {} has no column {} (columns: {})", table,
                        table, column, Join(names)));
      }
      if (TypeFromDeclared(col->declared)->id() == TypeId::kBinary) {
        return Status::Invalid(fmt::format(
            "spec.incremental.{}: cursor column {} is declared \"{}\", which reads as binary; a "
            "cursor column must be declared INTEGER, REAL, TEXT, TIMESTAMP or similar",
            table, column, col->declared));
      }
      if (info->rowid.empty() && info->primary_key.empty()) {
        return Status::Invalid(fmt::format(
            "spec.incremental.{}: table {} has neither a rowid nor a primary key to order rows "
            "sharing a cursor value",
            table, table));
      }
    }
    return Status::OK();
  }

  Options o_;
  Db db_;  // opened by Init: checks the file early
};

}  // namespace
}  // namespace sqlite_source

std::unique_ptr<plugin::SourcePlugin> NewSqliteSource() {
  return std::make_unique<sqlite_source::SqliteSource>();
}

}  // namespace quarry::plugins
