// SIGINT and SIGTERM during a command: the first asks the command to stop cleanly (a sync stops
// reading, commits or discards what is in flight, releases its locks and writes its summary);
// a second one exits at once with 128 + the signal number.
//
// Construct it before any thread starts: it blocks both signals in the calling thread, which
// every thread started afterwards inherits, and waits for them on a thread of its own.
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace quarry::cli {

class InterruptWatcher {
 public:
  InterruptWatcher();
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // Called (on the watcher's thread) at the first signal, or at once when one already came.
  void OnFirst(std::function<void()> stop);
  // The first signal received (SIGINT or SIGTERM), or 0.
  int signal() const { return signal_.load(); }

 private:
  std::atomic<int> signal_{0};
  std::mutex mu_;
  std::function<void()> stop_;
  std::jthread thread_;
};

// "SIGINT", "SIGTERM".
const char* SignalName(int sig);

}  // namespace quarry::cli
