#include "quarry/base/clock.h"

#include <chrono>
#include <limits>

namespace quarry {
namespace {

class SteadyClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t deadline_us, const std::function<bool()>& ready) const override {
    using std::chrono::steady_clock;
    // A deadline past what a steady_clock time point holds (hundreds of years) waits forever.
    const int64_t max_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               steady_clock::time_point::max().time_since_epoch())
                               .count();
    if (deadline_us >= max_us) {
      cv.wait(lock, ready);
      return true;
    }
    const steady_clock::time_point deadline{std::chrono::microseconds(deadline_us)};
    return cv.wait_until(lock, deadline, ready);
  }
};

}  // namespace

const Clock& RealClock() {
  static const SteadyClock clock;
  return clock;
}

}  // namespace quarry
