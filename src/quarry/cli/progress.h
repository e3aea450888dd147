#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>

#include "quarry/base/log.h"
#include "quarry/engine/engine.h"

namespace quarry::cli {

// A live progress line on stderr while a sync runs: rows so far, rows per second, elapsed time and
// the tables being written, redrawn every half second. The logger clears it before each line it
// writes to stderr. Stop() (or the destructor) clears it for good. When not `enabled` (not a
// terminal, or --no-progress) it does nothing. Not thread-safe: construct and Stop() on one thread.
class ProgressLine {
 public:
  ProgressLine(const engine::Progress& progress, Logger& logger, bool enabled);
  ~ProgressLine();

  void Stop();

 private:
  void Clear();
  void Loop(std::stop_token stop);

  const engine::Progress& progress_;
  Logger& logger_;
  bool enabled_;
  bool shown_ = false;
  int64_t start_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::jthread thread_;
};

}  // namespace quarry::cli
