// PluginProcess: a CloudQuery-protocol plugin binary launched for `registry: local`.
//
// Started as `<path> serve --network unix --address <socket> --log-format json --log-level
// <level>`. Its stdout and stderr are read line by line on two threads: JSON log lines
// ({"level": …, "message": …}) are re-logged through Quarry's logger at their level — warn lines
// count in the run's Warnings, error lines in its Errors (Logger::CountExternalError) — other
// lines at debug level. Stop() sends
// SIGINT, waits for a grace period, then SIGKILL — to the plugin's whole process group, which it
// gets of its own — and the destructor stops a running process.
//
// Thread-safe: Stop() and exited() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quarry/base/log.h"
#include "quarry/base/status.h"

namespace quarry::rpc {

class PluginProcess {
 public:
  struct Options {
    std::string path;  // the plugin executable
    std::string name;  // the plugin's name in the config (for log lines)
    std::string log_level = "info";
    std::chrono::milliseconds grace{5000};  // SIGINT → SIGKILL
  };

  // Launches the plugin on a fresh unix socket. REQUIRES: logger outlives the process.
  static Result<std::unique_ptr<PluginProcess>> Start(const Options& options, Logger& logger);
  ~PluginProcess();

  // The gRPC target to dial: "unix:///tmp/…/plugin.sock".
  const std::string& target() const { return target_; }
  // True once the process has exited (by itself or by Stop()).
  bool exited();
  // The last lines the process printed, for error messages when it dies early.
  std::string LastLines() const;
  // How the process ended — "exited with status 1", "was killed by signal 9 (Killed)" — waiting
  // up to `wait` for it to end; empty while it still runs.
  std::string ExitDescription(std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // Stops the process (SIGINT, then SIGKILL after the grace period) and reaps it. Idempotent.
  void Stop();

 private:
  PluginProcess(Options options, Logger& logger) : options_(std::move(options)), logger_(logger) {}
  void ReadLines(int fd, bool is_stderr, std::stop_token stop);

  Options options_;
  Logger& logger_;
  pid_t pid_ = -1;
  std::string dir_;  // private directory holding the socket
  std::string target_;
  std::mutex mu_;
  bool reaped_ = false;
  int wait_status_ = 0;
  mutable std::mutex lines_mu_;
  std::vector<std::string> last_lines_;
  std::jthread out_thread_, err_thread_;
};

}  // namespace quarry::rpc
