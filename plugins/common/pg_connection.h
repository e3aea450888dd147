// A libpq connection that gives up on a server that stops answering, shared by the PostgreSQL
// source and destination.
//
// libpq waits forever by default: a server that is stopped (SIGSTOP), swapped out or wedged still
// has its kernel acknowledge every TCP packet, so neither TCP keepalives nor a server-side
// statement_timeout ever fire, and a sync hangs. Connection therefore keeps libpq in
// non-blocking mode and waits for the socket itself, with a client-side deadline:
//
//   - connect: libpq's own `connect_timeout` (whole seconds, at least 2), defaulting to
//     Timeouts::connect_micros unless the connection string or PGCONNECT_TIMEOUT sets one;
//   - every call afterwards (a query, each piece of a COPY in either direction): it fails when
//     the server sends nothing and takes nothing for Timeouts::stall_micros. The deadline is
//     about progress, not total time: a COPY that keeps moving may run for hours; but one
//     statement that answers only when done (a big DELETE, INSERT … SELECT) must answer within
//     it, hence the generous default.
//
// A stalled connection is shut down (shutdown(2) on its socket) so that nothing else, closing it
// included, waits on it again; every later call fails at once and ErrorMessage() keeps saying
// what happened. TCP keepalives (on by default here, tuned unless the connection string sets
// them) detect a dead host or network on an idle connection sooner.
//
// The calls mirror libpq's (PQexec, PQexecParams, PQgetResult, PQputCopyData, PQputCopyEnd,
// PQgetCopyData in blocking form) and return libpq's types, so that code reads as plain libpq;
// results are the caller's to PQclear.
//
// Not thread-safe: one thread uses a Connection at a time (as with a PGconn).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quarry/base/status.h"
#include "quarry/plugin/spec_reader.h"

namespace quarry::plugins::pg {

inline constexpr int64_t kDefaultConnectTimeoutMicros = 30'000'000;  // 30 s
inline constexpr int64_t kDefaultStallTimeoutMicros = 300'000'000;   // 5 min

// Keepalive settings added unless the connection string has its own: the first probe after 60 s
// of silence, then every 10 s; 6 unanswered probes (2 minutes in all) close the connection.
inline constexpr const char* kKeepalivesIdle = "60";
inline constexpr const char* kKeepalivesInterval = "10";
inline constexpr const char* kKeepalivesCount = "6";

struct Timeouts {
  // How long connecting may take (libpq rounds up to whole seconds, at least 2). 0: no limit.
  int64_t connect_micros = kDefaultConnectTimeoutMicros;
  // How long one call may go without the server sending or taking any bytes. 0: no limit.
  int64_t stall_micros = kDefaultStallTimeoutMicros;
};

// Reads `connect_timeout` and `stall_timeout` (durations: seconds or "30s", "5m", "1m30s"; 0
// turns the limit off) from a plugin spec. Problems go to the reader's sticky status.
Timeouts ReadTimeouts(plugin::SpecReader& reader);

// "3s", "5m", "1m30s", "500ms": how the docs and error messages spell a timeout.
std::string TimeoutText(int64_t micros);

class Connection {
 public:
  // Connects with `conninfo` (key/value or URI; PG* variables and ~/.pgpass apply) plus:
  //   - defaults the connection string may override: connect_timeout and keepalives (above);
  //   - `settings`, which override the connection string (e.g. client_encoding).
  // Errors are IOError "connect: <libpq's message on one line>", where libpq's "timeout expired"
  // reads "no answer within 30s (connect_timeout); is the server overloaded or stopped?".
  // Notices are dropped.
  static Result<std::unique_ptr<Connection>> Open(
      const std::string& conninfo, const Timeouts& timeouts,
      const std::vector<std::pair<std::string, std::string>>& settings = {});

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // For reading results and state (PQtransactionStatus, PQbackendPID, …); not for calls that
  // wait on the server, which have their counterparts here.
  PGconn* get() const { return conn_; }

  // PQexec: the last result of `sql` (stopping at a COPY's), or null. Null also on a stall.
  PGresult* Exec(const std::string& sql);
  // PQexecParams with text parameter types left to the server.
  PGresult* ExecParams(const std::string& sql, int n, const char* const* values, const int* lengths,
                       const int* formats, int result_format);
  // PQgetResult: waits for the next result; null when there are no more (or on a stall).
  PGresult* GetResult();
  // PQputCopyData / PQputCopyEnd, waiting until libpq has handed the data to the kernel:
  // 1 when sent, -1 on an error or a stall.
  int PutCopyData(const char* data, int size);
  int PutCopyEnd(const char* error_message);
  // PQgetCopyData in blocking form: the size of a row (*buffer is the caller's to PQfreemem),
  // -1 when the COPY is done, -2 on an error or a stall.
  int GetCopyData(char** buffer);

  // Why the last call failed, on one line: what stalled, else libpq's error message.
  std::string ErrorMessage() const;
  // True once a call gave up on the server; the connection is then unusable.
  bool stalled() const { return !failure_.empty(); }

 private:
  Connection(PGconn* conn, int64_t stall_micros) : conn_(conn), stall_micros_(stall_micros) {}

  // Waits until the socket is readable (or writable, with `write`). False when it gave up.
  bool Wait(bool write);
  // Sends everything libpq has queued. False on an error or a stall.
  bool Flush();
  // After sending a query: its results, as PQexec returns them.
  PGresult* Finish();
  // Shuts the socket down for good; `why` becomes the error message.
  void GiveUp(std::string why);

  PGconn* conn_;
  int64_t stall_micros_;
  std::string failure_;  // why the connection gave up; empty while it works
};

}  // namespace quarry::plugins::pg
