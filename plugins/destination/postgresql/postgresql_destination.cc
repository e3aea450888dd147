#include "plugins/destination/postgresql/postgresql_destination.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "plugins/destination/postgresql/postgresql_destination_impl.h"
#include "quarry/base/time.h"

namespace quarry::plugins {
namespace postgresql {
namespace {

using sql::Quote;

// "a\n\tb\n" -> "a b"
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string ResultMessage(const pg::Connection* conn, const PGresult* res, StatusCode* code) {
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr) {
    *code = StatusCode::kIOError;
    return conn != nullptr ? conn->ErrorMessage() : "not connected";
  }
  const char* sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  // Class 22 (data exception) and 23 (integrity constraint violation): the user's data does
  // not fit; anything else is the outside world failing.
  const bool data = sqlstate != nullptr &&
                    (std::strncmp(sqlstate, "22", 2) == 0 || std::strncmp(sqlstate, "23", 2) == 0);
  *code = data ? StatusCode::kInvalidArgument : StatusCode::kIOError;
  std::string msg = primary;
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL); detail != nullptr) {
    msg += fmt::format(" ({})", OneLine(detail));
  }
  return msg;
}

Result<std::unique_ptr<pg::Connection>> Connect(const std::string& conninfo,
                                                const pg::Timeouts& timeouts,
                                                std::string_view what) {
  auto conn = pg::Connection::Open(
      conninfo, timeouts, {{"fallback_application_name", "quarry"}, {"client_encoding", "UTF8"}});
  if (!conn.ok()) {
    return Status::IOError(fmt::format("postgresql: {}{}", what, conn.status().message()));
  }
  return conn;
}

Status PostgresqlDestination::Configure(const nlohmann::json& spec) {
  plugin::SpecReader reader(spec);
  conninfo_ = reader.String("connection_string", "");
  schema_ = reader.String("schema", "public");
  batch_ = plugin::ReadBatchOptions(reader, plugin::BatchOptions{10'000, 100'000'000, 60'000'000});
  timeouts_ = pg::ReadTimeouts(reader);
  QUARRY_RETURN_NOT_OK(reader.Finish());
  if (conninfo_.empty()) {
    return Status::Invalid(
        "spec.connection_string: required (a libpq connection string, e.g. \"host=localhost "
        "user=postgres dbname=quarry\" or postgresql://user:password@host:5432/quarry)");
  }
  if (schema_.empty() || schema_.size() > kMaxIdentifier) {
    return Status::Invalid(fmt::format("spec.schema: must be a name of 1 to {} bytes, got \"{}\"",
                                       kMaxIdentifier, schema_));
  }
  return Status::OK();
}

Status PostgresqlDestination::Error(std::string_view what, const PGresult* res) const {
  StatusCode code;
  std::string msg = ResultMessage(conn_.get(), res, &code);
  return Status(code, fmt::format("postgresql: {}: {}", what, msg));
}

Status PostgresqlDestination::CheckOpen() const {
  if (conn_ == nullptr) return Status::Internal("postgresql: not initialized");
  return Status::OK();
}

Status PostgresqlDestination::Exec(const std::string& sql, std::string_view what) {
  PgResult res(conn_->Exec(sql));
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(what, res.get());
  return Status::OK();
}

Result<PgResult> PostgresqlDestination::Query(const std::string& sql,
                                              const std::vector<std::optional<std::string>>& params,
                                              std::string_view what) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  PgResult res(conn_->ExecParams(sql, static_cast<int>(params.size()), values.data(),
                                 lengths.data(), nullptr, 0));
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(what, res.get());
  return res;
}

void PostgresqlDestination::Rollback() {
  if (conn_ == nullptr) return;
  const PGTransactionStatusType ts = PQtransactionStatus(conn_->get());
  if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) PQclear(conn_->Exec("ROLLBACK"));
}

Status PostgresqlDestination::Init(const plugin::PluginContext& ctx,
                                   const plugin::DestinationOptions& dest) {
  if (conninfo_.empty()) return Status::Internal("postgresql: Init before Configure");
  QUARRY_RETURN_NOT_OK(Close());
  logger_ = ctx.logger;
  migration_.forced = dest.migrate_mode == plugin::MigrateMode::kForced;
  migration_.keys = dest.write_mode != plugin::WriteMode::kAppend;
  migration_.cq_id_only = dest.pk_mode == plugin::PkMode::kCqIdOnly;
  QUARRY_ASSIGN_OR_RETURN(conn_, Connect(conninfo_, timeouts_, ""));
  return Status::OK();
}

Status PostgresqlDestination::Close() {
  in_transaction_ = false;  // closing the connection rolls it back
  infos_.clear();
  conn_.reset();
  return Status::OK();
}

Status PostgresqlDestination::BeginTransaction() {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (in_transaction_) return Status::Internal("postgresql: transaction already open");
  QUARRY_RETURN_NOT_OK(Exec("BEGIN", "begin"));
  in_transaction_ = true;
  return Status::OK();
}

Status PostgresqlDestination::CommitTransaction() {
  if (!in_transaction_) return Status::Internal("postgresql: no open transaction");
  in_transaction_ = false;
  Status st = Exec("COMMIT", "commit");
  if (!st.ok()) Rollback();
  return st;
}

void PostgresqlDestination::RollbackTransaction() {
  Rollback();
  in_transaction_ = false;
}

Result<int64_t> PostgresqlDestination::DeleteStale(const schema::Table& table,
                                                   std::string_view source_name,
                                                   int64_t sync_time_us) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  const std::string what = fmt::format("table {}: delete stale rows", table.name);
  // One statement in autocommit mode: its own transaction.
  QUARRY_ASSIGN_OR_RETURN(
      PgResult res,
      Query(fmt::format("DELETE FROM {} WHERE {} = $1 AND {} < $2", Qualified(table.name),
                        Quote(schema::kCqSourceName), Quote(schema::kCqSyncTime)),
            {std::string(source_name), FormatTimestampMicros(sync_time_us)}, what));
  return static_cast<int64_t>(std::strtoll(PQcmdTuples(res.get()), nullptr, 10));
}

}  // namespace postgresql

std::unique_ptr<plugin::DestinationPlugin> NewPostgresqlDestination() {
  return std::make_unique<postgresql::PostgresqlDestination>();
}

}  // namespace quarry::plugins
