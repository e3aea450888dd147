// TryLock: session-level advisory locks, each on a connection of its own.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <string>

#include "plugins/destination/postgresql/postgresql_destination_impl.h"

namespace quarry::plugins::postgresql {
namespace {

// The 64-bit advisory lock key of a lock name: the first 8 bytes of its MD5, so that distinct
// names (e.g. "sync ../x" and "sync __x") practically never share a lock.
#define QUARRY_PG_LOCK_KEY_SQL "('x' || substr(md5($1), 1, 16))::bit(64)::bigint"

// A session-level advisory lock, held by a connection of its own: closing it (or the process
// dying, which closes the socket) releases the lock.
class AdvisoryLock final : public plugin::SyncLock {
 public:
  explicit AdvisoryLock(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}

 private:
  std::unique_ptr<pg::Connection> conn_;
};

}  // namespace

Result<std::unique_ptr<plugin::SyncLock>> PostgresqlDestination::TryLock(std::string_view name) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  // A connection of its own: the lock lives exactly as long as the SyncLock, whatever happens to
  // this destination's connection.
  QUARRY_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> conn,
                          Connect(conninfo_, timeouts_, "lock: "));
  auto fail = [&](std::string_view what, const PGresult* res) {
    StatusCode code;
    const std::string msg = ResultMessage(conn.get(), res, &code);
    return Status(StatusCode::kIOError, fmt::format("postgresql: {}: {}", what, msg));
  };
  const std::string key(name);
  const char* values[] = {key.c_str()};
  PgResult res(conn->ExecParams("SELECT pg_try_advisory_lock(" QUARRY_PG_LOCK_KEY_SQL ")", 1,
                                values, nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return fail("lock", res.get());
  if (PQgetvalue(res.get(), 0, 0)[0] == 't') {
    return std::unique_ptr<plugin::SyncLock>(std::make_unique<AdvisoryLock>(std::move(conn)));
  }
  // Who holds it: pg_locks splits the bigint key into classid (high half) and objid.
  PgResult who(conn->ExecParams(
      "SELECT l.pid, COALESCE(a.application_name, ''), COALESCE(host(a.client_addr), 'local') "
      "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
      "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
      "current_database()) "
      "AND ((l.classid::bigint << 32) | l.objid::bigint) = " QUARRY_PG_LOCK_KEY_SQL " LIMIT 1",
      1, values, nullptr, nullptr, 0));
  std::string holder = "another session";
  if (PQresultStatus(who.get()) == PGRES_TUPLES_OK && PQntuples(who.get()) > 0) {
    holder = fmt::format("server process {} (application \"{}\", client {})",
                         PQgetvalue(who.get(), 0, 0), PQgetvalue(who.get(), 0, 1),
                         PQgetvalue(who.get(), 0, 2));
  }
  return Status::IOError(fmt::format(
      "another sync of the same source is writing to this destination (PostgreSQL advisory "
      "lock \"{}\" is held by {}); wait for it to finish",
      name, holder));
}

}  // namespace quarry::plugins::postgresql
