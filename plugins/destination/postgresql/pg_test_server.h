// A real, throwaway PostgreSQL server for one test binary, and a small query helper for checks.
//
// Register the environment once per test binary, at namespace scope of a test file:
//
//   const auto* const kPg =
//       ::testing::AddGlobalTestEnvironment(new quarry::pgtest::PgTestServer);
//
// SetUp runs `scripts/pg-test-server start <mkdtemp dir>` (initdb as the `postgres` user, a free
// loopback port); TearDown stops it and removes the directory, also when tests failed. A watchdog
// process stops the server when the test process dies without TearDown (a crash, kill -9, a ctest
// timeout). When QUARRY_PG_DSN is set, that server is used instead and nothing is started or
// stopped (e.g. one server for a whole `ctest` run).
//
// The script is found through QUARRY_SOURCE_DIR (set by ctest for every test), else through the
// source directory compiled in.
//
// Tests share the server: each should work in a schema (or tables) of its own.
// Not thread-safe to set up; Dsn() may be read from any thread once SetUp has run.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace quarry::pgtest {

class PgTestServer : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // The libpq connection string ("host=127.0.0.1 port=N user=postgres dbname=postgres").
  // REQUIRES: SetUp succeeded (true inside any test of a binary that registered the environment).
  static const std::string& Dsn();

 private:
  std::string dir_;       // empty when using QUARRY_PG_DSN
  int watchdog_fd_ = -1;  // write end of the pipe the watchdog waits on
};

// Runs `sql` (one or more statements) on a fresh connection and returns the rows of the last
// statement as "a|b|c" lines, NULL as "NULL"; "error: <message>" when connecting or a statement
// fails.
std::string Query(const std::string& dsn, const std::string& sql);

}  // namespace quarry::pgtest
