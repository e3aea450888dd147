#include "plugins/common/pg_connection.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "quarry/base/time.h"

namespace quarry::plugins::pg {
namespace {

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

// The connect_timeout libpq will use for `conn`: its setting, 1 counting as 2 (libpq's minimum).
int64_t EffectiveConnectSeconds(PGconn* conn) {
  int64_t seconds = 0;
  PQconninfoOption* options = PQconninfo(conn);
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "connect_timeout") == 0 && o->val != nullptr) {
      seconds = std::strtoll(o->val, nullptr, 10);
    }
  }
  PQconninfoFree(options);
  return seconds == 1 ? 2 : seconds;
}

}  // namespace

Timeouts ReadTimeouts(plugin::SpecReader& reader) {
  Timeouts t;
  t.connect_micros = reader.DurationMicros("connect_timeout", kDefaultConnectTimeoutMicros);
  t.stall_micros = reader.DurationMicros("stall_timeout", kDefaultStallTimeoutMicros);
  return t;
}

std::string TimeoutText(int64_t micros) {
  if (micros % 1'000'000 != 0) return FormatDuration(micros);
  const int64_t s = micros / 1'000'000;
  std::string out;
  if (s >= 3600) out += fmt::format("{}h", s / 3600);
  if (s / 60 % 60 != 0) out += fmt::format("{}m", s / 60 % 60);
  if (s % 60 != 0 || out.empty()) out += fmt::format("{}s", s % 60);
  return out;
}

Result<std::unique_ptr<Connection>> Connection::Open(
    const std::string& conninfo, const Timeouts& timeouts,
    const std::vector<std::pair<std::string, std::string>>& settings) {
  // libpq reads the arrays in order and the expanded connection string (the dbname entry)
  // overrides what comes before it: our defaults go first, `settings` last.
  std::vector<std::pair<std::string, std::string>> params;
  const char* env_timeout = std::getenv("PGCONNECT_TIMEOUT");
  if (env_timeout == nullptr || *env_timeout == '\0') {
    // Whole seconds, rounded up: a limit never shrinks.
    params.emplace_back("connect_timeout",
                        std::to_string((timeouts.connect_micros + 999'999) / 1'000'000));
  }
  params.emplace_back("keepalives", "1");
  params.emplace_back("keepalives_idle", kKeepalivesIdle);
  params.emplace_back("keepalives_interval", kKeepalivesInterval);
  params.emplace_back("keepalives_count", kKeepalivesCount);
  params.emplace_back("dbname", conninfo);
  params.insert(params.end(), settings.begin(), settings.end());
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Status::IOError("connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = OneLine(PQerrorMessage(conn));
    // libpq says "connection to server at "h", port p failed: timeout expired" (once per host
    // tried); say what that means.
    constexpr std::string_view kExpired = "timeout expired";
    const std::string what =
        fmt::format("no answer within {}s (connect_timeout); is the server overloaded or stopped?",
                    EffectiveConnectSeconds(conn));
    for (size_t at = msg.find(kExpired); at != std::string::npos;
         at = msg.find(kExpired, at + what.size())) {
      msg.replace(at, kExpired.size(), what);
    }
    PQfinish(conn);
    return Status::IOError("connect: " + msg);
  }
  if (PQsetnonblocking(conn, 1) != 0) {
    Status st = Status::IOError("connect: " + OneLine(PQerrorMessage(conn)));
    PQfinish(conn);
    return st;
  }
  // Notices ("table … does not exist, skipping", …) are of no use to a user of a sync.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn, timeouts.stall_micros));
}

Connection::~Connection() {
  // Non-blocking: saying goodbye to a server that does not read never waits.
  PQfinish(conn_);
}

void Connection::GiveUp(std::string why) {
  failure_ = std::move(why);
  const int fd = PQsocket(conn_);
  // libpq's pending read or write now ends at once, and so does any later one.
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

bool Connection::Wait(bool write) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return true;  // not connected: the next libpq call says so
  pollfd p{};
  p.fd = fd;
  p.events = static_cast<short>(POLLIN | (write ? POLLOUT : 0));
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::microseconds(stall_micros_);
  for (;;) {
    int timeout_ms = -1;
    if (stall_micros_ > 0) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        GiveUp(fmt::format(
            "no answer from the PostgreSQL server for {} (stall_timeout); is it overloaded or "
            "stopped?",
            TimeoutText(stall_micros_)));
        return false;
      }
      timeout_ms = static_cast<int>(std::min<int64_t>(left.count(), 60'000));
    }
    const int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) {
      GiveUp(fmt::format("waiting for the server: {}", std::strerror(errno)));
      return false;
    }
  }
}

bool Connection::Flush() {
  for (;;) {
    const int r = PQflush(conn_);
    if (r == 0) return true;
    if (r < 0) return false;
    // The server may answer (an error) instead of reading: take in what it says, then go on.
    if (!Wait(/*write=*/true)) return false;
    if (PQconsumeInput(conn_) == 0) return false;
  }
}

PGresult* Connection::GetResult() {
  if (stalled()) return nullptr;
  while (PQisBusy(conn_)) {
    // A lost connection: libpq has said so in its error message (PQgetResult would wait on the
    // closed socket and add "invalid socket").
    if (!Wait(/*write=*/false) || PQconsumeInput(conn_) == 0) return nullptr;
  }
  return PQgetResult(conn_);
}

namespace {

bool IsCopy(const PGresult* r) {
  const ExecStatusType st = PQresultStatus(r);
  return st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH;
}

}  // namespace

PGresult* Connection::Exec(const std::string& sql) {
  if (stalled()) return nullptr;
  if (PQsendQuery(conn_, sql.c_str()) == 0) return nullptr;
  return Finish();
}

PGresult* Connection::ExecParams(const std::string& sql, int n, const char* const* values,
                                 const int* lengths, const int* formats, int result_format) {
  if (stalled()) return nullptr;
  if (PQsendQueryParams(conn_, sql.c_str(), n, nullptr, values, lengths, formats, result_format) ==
      0) {
    return nullptr;
  }
  return Finish();
}

PGresult* Connection::Finish() {
  if (!Flush() && stalled()) return nullptr;
  // As PQexec: the last result, stopping at a COPY's (the COPY's data comes next).
  PGresult* last = nullptr;
  while (PGresult* r = GetResult()) {
    PQclear(last);
    last = r;
    if (IsCopy(r) || PQstatus(conn_) == CONNECTION_BAD) break;
  }
  if (stalled()) {
    PQclear(last);
    return nullptr;
  }
  return last;
}

int Connection::PutCopyData(const char* data, int size) {
  if (stalled()) return -1;
  for (;;) {
    const int r = PQputCopyData(conn_, data, size);
    if (r < 0) return -1;
    if (r == 1) break;
    // Not queued: libpq's buffer is full.
    if (!Flush()) return -1;
  }
  return Flush() ? 1 : -1;
}

int Connection::PutCopyEnd(const char* error_message) {
  if (stalled()) return -1;
  for (;;) {
    const int r = PQputCopyEnd(conn_, error_message);
    if (r < 0) return -1;
    if (r == 1) break;
    if (!Flush()) return -1;
  }
  return Flush() ? 1 : -1;
}

int Connection::GetCopyData(char** buffer) {
  if (stalled()) return -2;
  for (;;) {
    const int n = PQgetCopyData(conn_, buffer, /*async=*/1);
    if (n != 0) return n;
    if (!Wait(/*write=*/false)) return -2;
    if (PQconsumeInput(conn_) == 0) return -2;
  }
}

std::string Connection::ErrorMessage() const {
  if (stalled()) return failure_;
  return OneLine(PQerrorMessage(conn_));
}

}  // namespace quarry::plugins::pg
