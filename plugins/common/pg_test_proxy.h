// For tests: a TCP proxy on loopback in front of a PostgreSQL server, which a test can freeze.
// Frozen, it neither reads nor writes nor accepts, as a server sent SIGSTOP: the kernel still
// takes bytes (and connections) until its buffers fill, and nothing ever answers. Thawed, it
// carries on where it stopped.
//
// Thread-safe: Freeze and Thaw may be called from any thread. The proxy's own thread stops with
// the object.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace quarry::pgtest {

class FreezableProxy {
 public:
  // Forwards every connection to the host and port of `server_dsn` (a key/value libpq string
  // with a TCP host). Aborts the test binary when it cannot listen.
  explicit FreezableProxy(const std::string& server_dsn);
  ~FreezableProxy();
  FreezableProxy(const FreezableProxy&) = delete;
  FreezableProxy& operator=(const FreezableProxy&) = delete;

  // `server_dsn` with the proxy's host and port.
  const std::string& Dsn() const { return dsn_; }

  void Freeze();
  void Thaw();

 private:
  void Run(const std::stop_token& stop);
  void Wake();

  std::string target_host_;
  int target_port_ = 0;
  std::string dsn_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: a byte wakes the proxy's poll
  std::atomic<bool> frozen_{false};
  std::jthread thread_;
};

}  // namespace quarry::pgtest
