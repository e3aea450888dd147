// The postgresql source plugin: options, connections and errors, and the SourcePlugin methods;
// Sync holds the snapshot every table is read in. The rest is in the files
// postgresql_source_impl.h lists.
#include "plugins/source/postgresql/postgresql_source.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/common/pg_connection.h"
#include "plugins/source/postgresql/postgresql_source_impl.h"
#include "quarry/plugin/spec_reader.h"

namespace quarry::plugins {
namespace postgresql_source {

Status PgError(const pg::Connection* conn, std::string_view what) {
  return Status::IOError(fmt::format("postgresql source: {}: {}", what, conn->ErrorMessage()));
}

Result<Conn> Connect(const Options& o) {
  auto opened = pg::Connection::Open(o.conninfo, o.timeouts);
  if (!opened.ok()) {
    return Status::IOError(fmt::format("postgresql source: {}", opened.status().message()));
  }
  Conn conn = opened.MoveValue();
  PgResult r(
      conn->Exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
                 "SET client_encoding = 'UTF8'; SET extra_float_digits = 1; "
                 "SET standard_conforming_strings = on"));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return PgError(conn.get(), "connect");
  return conn;
}

Status Exec(pg::Connection* conn, const std::string& sql, std::string_view what) {
  PgResult r(conn->Exec(sql));
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, what);
  return Status::OK();
}

namespace {

using scheduler::ResolveContext;
using scheduler::RowWriter;

class PostgresqlSource : public plugin::SourcePlugin {
 public:
  Status Configure(const nlohmann::json& spec) override {
    plugin::SpecReader r(spec);
    Options o;
    o.conninfo = r.String("connection_string", "");
    const nlohmann::json* inc = r.Raw("incremental");
    o.schemas = r.StringList("schemas");
    o.chunk_size = r.Int("chunk_size", 10'000, 1);
    o.concurrency = r.Int("concurrency", 4, 1, 10'000);
    o.timeouts = pg::ReadTimeouts(r);
    QUARRY_RETURN_NOT_OK(r.Finish());
    if (o.conninfo.empty()) {
      return Status::Invalid(
          "spec.connection_string: required (a libpq connection string, such as "
          "\"host=localhost dbname=shop user=reader\" or \"postgresql://reader@localhost/shop\")");
    }
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
        o.incremental.emplace_back(table, column.get<std::string>());
      }
    }
    o_ = std::move(o);
    return Status::OK();
  }

  Result<std::vector<schema::TablePtr>> Tables() const override {
    if (o_.conninfo.empty()) return Status::Internal("postgresql source: Tables before Configure");
    std::vector<TableInfo> infos;
    {
      QUARRY_ASSIGN_OR_RETURN(Conn conn, Connect(o_));
      QUARRY_ASSIGN_OR_RETURN(infos, Discover(conn.get(), o_.schemas));
    }
    QUARRY_RETURN_NOT_OK(CheckNames(infos));
    QUARRY_ASSIGN_OR_RETURN(auto incremental, ResolveIncremental(o_, infos));

    std::vector<schema::TablePtr> out;
    for (const auto& info : infos) {
      schema::Table t;
      t.name = info.name;
      t.qualified_name = info.Display();  // patterns may say "schema.table"
      auto inc = incremental.find(info.name);
      t.is_incremental = inc != incremental.end();
      for (const auto& ci : info.columns) {
        // A table that cannot sync is listed with the columns that could.
        if (!schema::NameProblem(ci.name).empty() || schema::IsCqColumn(ci.name)) continue;
        schema::Column c{ci.name, ci.mapping().type};
        c.primary_key = ci.pk > 0;
        c.not_null = ci.not_null || ci.pk > 0;
        c.incremental_key = t.is_incremental && inc->second == ci.name;
        t.columns.push_back(std::move(c));
      }
      auto table = schema::Finalize(std::move(t));
      if (!table.ok()) {
        return table.status().WithContext(fmt::format("postgresql source: {}", info.Display()));
      }
      out.push_back(table.MoveValue());
    }
    return out;
  }

  Status Init(const plugin::PluginContext& ctx) override {
    if (o_.conninfo.empty()) return Status::Internal("postgresql source: Init before Configure");
    QUARRY_ASSIGN_OR_RETURN(Conn conn, Connect(o_));
    return Status::OK();
  }

  Status Sync(const plugin::SyncRequest& request, plugin::MessageSink& sink) override {
    // The coordinating connection holds the snapshot every table is read in until all are done.
    QUARRY_ASSIGN_OR_RETURN(Conn conn, Connect(o_));
    QUARRY_RETURN_NOT_OK(
        Exec(conn.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "begin snapshot"));
    std::string snapshot;
    {
      PgResult r(conn->Exec("SELECT pg_export_snapshot()"));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        return PgError(conn.get(), "export snapshot");
      }
      snapshot = PQgetvalue(r.get(), 0, 0);
    }
    QUARRY_ASSIGN_OR_RETURN(auto infos, Discover(conn.get(), o_.schemas));
    QUARRY_ASSIGN_OR_RETURN(auto incremental, ResolveIncremental(o_, infos));
    std::map<std::string, const TableInfo*> by_name;
    for (const auto& info : infos) by_name[info.name] = &info;

    // Tables that cannot sync are reported, not migrated: no destination gets an empty copy.
    plugin::SyncRequest syncable = request;
    syncable.tables.clear();
    for (const auto& t : request.tables) {
      auto info = by_name.find(t->name);
      if (info == by_name.end() || info->second->problem.empty()) {
        syncable.tables.push_back(t);
        continue;
      }
      QUARRY_RETURN_NOT_OK(sink.Send(message::TableError{t->name, info->second->problem}));
    }
    std::map<std::string, scheduler::Resolver> resolvers;
    for (const auto& t : schema::Flatten(syncable.tables)) {
      auto info = by_name.find(t->name);
      auto inc = incremental.find(t->name);
      const TableInfo* ti = info == by_name.end() ? nullptr : info->second;
      const std::string* cursor = inc == incremental.end() ? nullptr : &inc->second;
      resolvers[t->name] = [this, table = t, ti, cursor, &snapshot, &syncable](
                               const ResolveContext&, RowWriter& out) -> Status {
        if (ti == nullptr) {
          return Status::Invalid(fmt::format("table {}: no longer exists", table->name));
        }
        return ReadTable(o_, *ti, *table, snapshot, cursor, syncable.state, out);
      };
    }
    scheduler::SchedulerOptions so;
    so.concurrency = static_cast<int>(o_.concurrency);
    so.num_clients = 1;
    QUARRY_RETURN_NOT_OK(scheduler::RunResolvers(syncable, resolvers, so, sink));
    return Exec(conn.get(), "COMMIT", "end snapshot");
  }

 private:
  // No two tables share a Quarry name.
  static Status CheckNames(const std::vector<TableInfo>& infos) {
    std::map<std::string, const TableInfo*> seen;
    for (const auto& info : infos) {
      auto [it, fresh] = seen.emplace(info.name, &info);
      if (!fresh) {
        return Status::Invalid(fmt::format(
            "postgresql source: tables {} and {} would both be named {}; rename one, or leave "
            "its schema out with spec.schemas",
            it->second->Display(), info.Display(), info.name));
      }
    }
    return Status::OK();
  }

  Options o_;
};

}  // namespace
}  // namespace postgresql_source

std::unique_ptr<plugin::SourcePlugin> NewPostgresqlSource() {
  return std::make_unique<postgresql_source::PostgresqlSource>();
}

}  // namespace quarry::plugins
