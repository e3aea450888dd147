#include "plugins/common/pg_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "plugins/common/pg_test_proxy.h"
#include "plugins/destination/postgresql/pg_test_server.h"

namespace quarry::plugins::pg {
namespace {

const auto* const kPgServer = ::testing::AddGlobalTestEnvironment(new quarry::pgtest::PgTestServer);

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

// A loopback socket that listens and never answers: the kernel completes every TCP handshake
// (into the backlog), nobody reads — as a server that was sent SIGSTOP.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  std::string Dsn() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::unique_ptr<Connection> MustOpen(const std::string& dsn, Timeouts t) {
  auto c = Connection::Open(dsn, t);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? c.MoveValue() : nullptr;
}

std::string Value(PGconn* conn, const char* keyword) {
  std::string out = "(unset)";
  PQconninfoOption* options = PQconninfo(conn);
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, keyword) == 0 && o->val != nullptr) out = o->val;
  }
  PQconninfoFree(options);
  return out;
}

TEST(PgTimeoutsTest, DefaultToThirtySecondsToConnectAndFiveMinutesOfSilence) {
  const json empty = json::object();  // SpecReader keeps a reference
  plugin::SpecReader none(empty);
  const Timeouts t = ReadTimeouts(none);
  EXPECT_TRUE(none.Finish().ok());
  EXPECT_EQ(t.connect_micros, 30'000'000);
  EXPECT_EQ(t.stall_micros, 300'000'000);
}

TEST(PgTimeoutsTest, ReadsDurationsAndZeroTurnsALimitOff) {
  const json set{{"connect_timeout", "2s"}, {"stall_timeout", "1m30s"}};
  plugin::SpecReader r(set);
  Timeouts t = ReadTimeouts(r);
  EXPECT_TRUE(r.Finish().ok());
  EXPECT_EQ(t.connect_micros, 2'000'000);
  EXPECT_EQ(t.stall_micros, 90'000'000);
  const json zero{{"connect_timeout", 0}, {"stall_timeout", "0s"}};
  plugin::SpecReader off(zero);
  t = ReadTimeouts(off);
  EXPECT_TRUE(off.Finish().ok());
  EXPECT_EQ(t.connect_micros, 0);
  EXPECT_EQ(t.stall_micros, 0);
  const json soon{{"stall_timeout", "soon"}};
  plugin::SpecReader bad(soon);
  (void)ReadTimeouts(bad);
  EXPECT_TRUE(bad.Finish().message().starts_with("spec.stall_timeout: ")) << bad.Finish().message();
}

TEST(PgTimeoutsTest, TextSpellsWholeUnits) {
  EXPECT_EQ(TimeoutText(3'000'000), "3s");
  EXPECT_EQ(TimeoutText(300'000'000), "5m");
  EXPECT_EQ(TimeoutText(90'000'000), "1m30s");
  EXPECT_EQ(TimeoutText(3'600'000'000), "1h");
  EXPECT_EQ(TimeoutText(0), "0s");
  EXPECT_EQ(TimeoutText(500'000), "500ms");
}

TEST(PgConnectionTest, AddsKeepalivesAndConnectTimeoutUnlessTheConnectionStringSetsThem) {
  auto plain = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{});
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(Value(plain->get(), "connect_timeout"), "30");
  EXPECT_EQ(Value(plain->get(), "keepalives"), "1");
  EXPECT_EQ(Value(plain->get(), "keepalives_idle"), "60");
  EXPECT_EQ(Value(plain->get(), "keepalives_interval"), "10");
  EXPECT_EQ(Value(plain->get(), "keepalives_count"), "6");
  auto own = MustOpen(pgtest::PgTestServer::Dsn() + " connect_timeout=7 keepalives_idle=11",
                      Timeouts{1'500'000, 0});
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(Value(own->get(), "connect_timeout"), "7");
  EXPECT_EQ(Value(own->get(), "keepalives_idle"), "11");
  EXPECT_EQ(Value(own->get(), "keepalives_count"), "6");
  // Rounded up to whole seconds.
  auto rounded = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{1'500'000, 0});
  ASSERT_NE(rounded, nullptr);
  EXPECT_EQ(Value(rounded->get(), "connect_timeout"), "2");
  PgResult r(rounded->Exec("SELECT 1"));
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
}

TEST(PgConnectionTest, ConnectGivesUpOnAServerThatNeverAnswers) {
  SilentListener silent;
  const auto start = Clock::now();
  auto c = Connection::Open(silent.Dsn(), Timeouts{2'000'000, 0});
  const double took = SecondsSince(start);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIOError);
  EXPECT_TRUE(c.status().message().starts_with("connect: connection to server at \"127.0.0.1\""))
      << c.status().message();
  EXPECT_TRUE(c.status().message().ends_with(
      "failed: no answer within 2s (connect_timeout); is the server overloaded or stopped?"))
      << c.status().message();
  EXPECT_GE(took, 1.5);
  EXPECT_LT(took, 6);
}

TEST(PgConnectionTest, ConnectTimeoutOfTheConnectionStringWins) {
  SilentListener silent;
  const auto start = Clock::now();
  auto c = Connection::Open(silent.Dsn() + " connect_timeout=3", Timeouts{60'000'000, 0});
  const double took = SecondsSince(start);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no answer within 3s (connect_timeout)"), std::string::npos)
      << c.status().message();
  EXPECT_GE(took, 2.5);
  EXPECT_LT(took, 8);
}

TEST(PgConnectionTest, QueryOnAFrozenServerFailsAfterTheStallTimeoutAndStaysFailed) {
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  auto c = MustOpen(proxy.Dsn(), Timeouts{5'000'000, 1'000'000});
  ASSERT_NE(c, nullptr);
  PgResult ok(c->Exec("SELECT 1"));
  ASSERT_EQ(PQresultStatus(ok.get()), PGRES_TUPLES_OK);
  proxy.Freeze();
  auto start = Clock::now();
  PgResult r(c->Exec("SELECT 2"));
  const double took = SecondsSince(start);
  EXPECT_EQ(r, nullptr);
  EXPECT_TRUE(c->stalled());
  const std::string stalled =
      "no answer from the PostgreSQL server for 1s (stall_timeout); is it overloaded or stopped?";
  EXPECT_EQ(c->ErrorMessage(), stalled);
  EXPECT_GE(took, 0.9);
  EXPECT_LT(took, 4);
  // Given up for good: later calls fail at once, and closing does not wait either.
  start = Clock::now();
  EXPECT_EQ(PgResult(c->Exec("ROLLBACK")), nullptr);
  EXPECT_EQ(c->ErrorMessage(), stalled);
  c.reset();
  EXPECT_LT(SecondsSince(start), 0.5);
  proxy.Thaw();
}

TEST(PgConnectionTest, CopyInToAFrozenServerFailsAfterTheStallTimeout) {
  auto admin = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{});
  ASSERT_NE(admin, nullptr);
  PQclear(
      admin->Exec("DROP TABLE IF EXISTS pg_connection_copy_in; "
                  "CREATE TABLE pg_connection_copy_in (t text)"));
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  auto c = MustOpen(proxy.Dsn(), Timeouts{5'000'000, 1'000'000});
  ASSERT_NE(c, nullptr);
  PgResult copy(c->Exec("COPY pg_connection_copy_in FROM STDIN"));
  ASSERT_EQ(PQresultStatus(copy.get()), PGRES_COPY_IN);
  const std::string line(64 * 1024 - 1, 'x');
  const std::string chunk = line + "\n";
  ASSERT_EQ(c->PutCopyData(chunk.data(), static_cast<int>(chunk.size())), 1);
  proxy.Freeze();
  const auto start = Clock::now();
  int sent = 0;
  // The kernel takes a few MB before the writes block.
  for (; sent < 100'000; ++sent) {
    if (c->PutCopyData(chunk.data(), static_cast<int>(chunk.size())) != 1) break;
  }
  EXPECT_LT(sent, 100'000);
  EXPECT_TRUE(c->stalled());
  EXPECT_LT(SecondsSince(start), 5);
  EXPECT_EQ(c->PutCopyEnd(nullptr), -1);
  EXPECT_EQ(PgResult(c->GetResult()), nullptr);
  EXPECT_TRUE(c->ErrorMessage().starts_with("no answer from the PostgreSQL server for 1s"));
  c.reset();
  proxy.Thaw();
}

TEST(PgConnectionTest, CopyOutFromAFrozenServerFailsAfterTheStallTimeout) {
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  auto c = MustOpen(proxy.Dsn(), Timeouts{5'000'000, 1'000'000});
  ASSERT_NE(c, nullptr);
  PgResult copy(
      c->Exec("COPY (SELECT repeat('x', 1000), generate_series(1, 1000000000)) TO "
              "STDOUT"));
  ASSERT_EQ(PQresultStatus(copy.get()), PGRES_COPY_OUT);
  char* buf = nullptr;
  ASSERT_GT(c->GetCopyData(&buf), 0);
  PQfreemem(buf);
  proxy.Freeze();
  const auto start = Clock::now();
  int rows = 0;
  int n = 0;
  while ((n = c->GetCopyData(&buf)) > 0) {
    PQfreemem(buf);
    ++rows;
  }
  EXPECT_EQ(n, -2);
  EXPECT_TRUE(c->stalled());
  EXPECT_LT(SecondsSince(start), 5);
  EXPECT_TRUE(c->ErrorMessage().starts_with("no answer from the PostgreSQL server for 1s"));
  c.reset();
  proxy.Thaw();
}

TEST(PgConnectionTest, PausesShorterThanTheStallTimeoutAreNoStall) {
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  auto c = MustOpen(proxy.Dsn(), Timeouts{5'000'000, 2'000'000});
  ASSERT_NE(c, nullptr);
  // Longer in all than the stall timeout, but never silent for that long: each statement answers
  // within it.
  const auto start = Clock::now();
  for (int i = 0; i < 5; ++i) {
    PgResult r(c->Exec("SELECT pg_sleep(0.6)"));
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << c->ErrorMessage();
  }
  EXPECT_GE(SecondsSince(start), 2.5);
  EXPECT_FALSE(c->stalled());
}

TEST(PgConnectionTest, ACopyThatKeepsMovingMayTakeLongerThanTheStallTimeout) {
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  auto c = MustOpen(proxy.Dsn(), Timeouts{5'000'000, 1'000'000});
  ASSERT_NE(c, nullptr);
  // Rows without end (a set-returning function in the select list streams).
  PgResult copy(
      c->Exec("COPY (SELECT repeat('x', 100), generate_series(1, 1000000000)) TO "
              "STDOUT"));
  ASSERT_EQ(PQresultStatus(copy.get()), PGRES_COPY_OUT);
  // Frozen for 0.5 s of every 0.6 s: the data trickles, but never stops for 1 s.
  std::atomic<int> freezes = 0;
  std::jthread stutter([&proxy, &freezes](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      proxy.Freeze();
      ++freezes;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      proxy.Thaw();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const auto start = Clock::now();
  int64_t rows = 0;
  char* buf = nullptr;
  int n = 0;
  while (SecondsSince(start) < 3.5 && (n = c->GetCopyData(&buf)) > 0) {
    PQfreemem(buf);
    ++rows;
  }
  stutter.request_stop();
  stutter.join();
  proxy.Thaw();
  EXPECT_GT(n, 0) << c->ErrorMessage();
  EXPECT_FALSE(c->stalled());
  EXPECT_GT(rows, 0);
  EXPECT_GE(freezes.load(), 4);
}

TEST(PgConnectionTest, ZeroStallTimeoutWaitsAsLongAsItTakes) {
  auto c = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{5'000'000, 0});
  ASSERT_NE(c, nullptr);
  PgResult r(c->Exec("SELECT pg_sleep(0.3)"));
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK);
}

TEST(PgConnectionTest, ALostConnectionIsReportedOnceWithTheServersReason) {
  auto c = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{5'000'000, 5'000'000});
  ASSERT_NE(c, nullptr);
  auto admin = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{});
  ASSERT_NE(admin, nullptr);
  PgResult killed(
      admin->Exec("SELECT pg_terminate_backend(" + std::to_string(PQbackendPID(c->get())) + ")"));
  ASSERT_EQ(PQresultStatus(killed.get()), PGRES_TUPLES_OK);
  PgResult r(c->Exec("SELECT 1"));
  EXPECT_NE(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  const std::string msg = c->ErrorMessage();
  EXPECT_NE(msg.find("terminating connection due to administrator command"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("invalid socket"), std::string::npos) << msg;
  EXPECT_FALSE(c->stalled());
  EXPECT_EQ(PgResult(c->Exec("SELECT 1")), nullptr);  // at once
}

TEST(PgConnectionTest, ServerErrorsAndMultiStatementQueriesBehaveAsPQexec) {
  auto c = MustOpen(pgtest::PgTestServer::Dsn(), Timeouts{});
  ASSERT_NE(c, nullptr);
  PgResult last(c->Exec("SELECT 1; SELECT 2"));
  ASSERT_EQ(PQresultStatus(last.get()), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(last.get(), 0, 0), "2");
  PgResult bad(c->Exec("SELECT * FROM no_such_table_here"));
  EXPECT_EQ(PQresultStatus(bad.get()), PGRES_FATAL_ERROR);
  EXPECT_NE(c->ErrorMessage().find("relation \"no_such_table_here\" does not exist"),
            std::string::npos)
      << c->ErrorMessage();
  EXPECT_EQ(c->ErrorMessage().find('\n'), std::string::npos);
  const char* values[] = {"41"};
  PgResult p(c->ExecParams("SELECT $1::int + 1", 1, values, nullptr, nullptr, 0));
  ASSERT_EQ(PQresultStatus(p.get()), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(p.get(), 0, 0), "42");
  EXPECT_FALSE(c->stalled());
}

}  // namespace
}  // namespace quarry::plugins::pg
