#include "plugins/destination/postgresql/pg_test_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

extern char** environ;

namespace quarry::pgtest {
namespace {

std::string g_dsn;

std::string Script() {
  const char* src = std::getenv("QUARRY_SOURCE_DIR");
  const std::string dir = src != nullptr && *src != '\0' ? src : QUARRY_PG_SOURCE_DIR;
  return dir + "/scripts/pg-test-server";
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q.push_back(c);
    }
  }
  return q + "'";
}

// Runs `command` through the shell; its standard output, and whether it exited 0.
bool Run(const std::string& command, std::string* out) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return false;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int rc = ::pclose(p);
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

// Starts a process, in a session of its own, that waits for EOF on a pipe and then stops the
// server: the pipe's write end lives only in this process, so the kernel closes it however the
// process ends. The shell backgrounds the waiting part, so it is reparented and not killed with
// this process's children. Returns the write end, or -1.
int StartWatchdog(const std::string& script, const std::string& dir) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 3);  // dup2 clears O_CLOEXEC on fd 3
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::string prog = "/bin/sh";
  std::string dash_c = "-c";
  std::string body = "{ while read -r _ <&3; do :; done; exec \"$0\" stop \"$1\"; } & exit 0";
  std::string a0 = script;
  std::string a1 = dir;
  char* argv[] = {prog.data(), dash_c.data(), body.data(), a0.data(), a1.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    return -1;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);  // the foreground shell exits at once
  return fds[1];
}

}  // namespace

void PgTestServer::SetUp() {
  if (const char* dsn = std::getenv("QUARRY_PG_DSN"); dsn != nullptr && *dsn != '\0') {
    g_dsn = dsn;
    return;
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "quarry_pg_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) GTEST_FAIL() << "mkdtemp: " << std::strerror(errno);
  dir_ = tmpl;
  const std::string script = Script();
  std::string out;
  const bool ok = Run(ShellQuote(script) + " start " + ShellQuote(dir_), &out);
  // Armed even when the start failed half-way: stop cleans up whatever is there.
  watchdog_fd_ = StartWatchdog(script, dir_);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (!ok || out.empty()) {
    GTEST_FAIL() << script << " start " << dir_ << " failed (output: " << out << ")";
  }
  g_dsn = out;
}

void PgTestServer::TearDown() {
  if (!dir_.empty()) {
    std::string out;
    if (!Run(ShellQuote(Script()) + " stop " + ShellQuote(dir_), &out)) {
      ADD_FAILURE() << "pg-test-server stop " << dir_ << " failed";
    }
    dir_.clear();
  }
  if (watchdog_fd_ >= 0) {
    ::close(watchdog_fd_);  // the watchdog's stop finds nothing left to do
    watchdog_fd_ = -1;
  }
}

const std::string& PgTestServer::Dsn() { return g_dsn; }

std::string Query(const std::string& dsn, const std::string& sql) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = std::string("error: ") + PQerrorMessage(conn);
    PQfinish(conn);
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return err;
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* res = PQexec(conn, sql.c_str());
  std::string out;
  const ExecStatusType st = PQresultStatus(res);
  if (st == PGRES_TUPLES_OK) {
    for (int r = 0; r < PQntuples(res); ++r) {
      if (r > 0) out += "\n";
      for (int c = 0; c < PQnfields(res); ++c) {
        if (c > 0) out += "|";
        out += PQgetisnull(res, r, c) ? std::string("NULL")
                                      : std::string(PQgetvalue(res, r, c),
                                                    static_cast<size_t>(PQgetlength(res, r, c)));
      }
    }
  } else if (st != PGRES_COMMAND_OK) {
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    out = std::string("error: ") + (primary != nullptr ? primary : PQerrorMessage(conn));
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

}  // namespace quarry::pgtest
