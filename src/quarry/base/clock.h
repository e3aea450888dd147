// Clock: where code that waits for time to pass reads the time, so that a test can substitute a
// fake one (testing/fake_clock.h) and make timeouts deterministic. Production code passes
// RealClock(). Wall-clock timestamps (sync times, log lines) come from NowMicros() in time.h,
// not from here.
//
// Implementations are thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace quarry {

class Clock {
 public:
  virtual ~Clock() = default;

  // Microseconds on a monotonic scale: only differences between two readings mean something.
  virtual int64_t NowMicros() const = 0;

  // Waits on `cv` (with `lock` held, as std::condition_variable::wait does) until `ready()` is
  // true or this clock reaches `deadline_us`; returns ready(). Whoever makes ready() true must
  // notify `cv` while holding the lock's mutex. REQUIRES: lock.owns_lock().
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         int64_t deadline_us, const std::function<bool()>& ready) const = 0;
};

// The machine's monotonic clock (std::chrono::steady_clock). Lives as long as the process.
const Clock& RealClock();

}  // namespace quarry
