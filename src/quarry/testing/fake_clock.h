// FakeClock: a Clock that moves only when the test moves it, so that a timeout fires exactly
// when the test says and never because the machine is slow. It starts at 0.
//
// Thread-safe. REQUIRES: whatever waits on it (e.g. a Channel in PopUntil) outlives each
// Advance() that runs while it waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>

#include "quarry/base/clock.h"

namespace quarry::testing {

class FakeClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 int64_t deadline_us, const std::function<bool()>& ready) const override;

  // Moves the clock forward by `micros` and wakes every waiter to look at it.
  void Advance(int64_t micros);

  // Blocks until some thread waits on this clock — it is in WaitUntil, found nothing ready and
  // blocks until its deadline — and returns the earliest deadline waited for; nullopt when nobody
  // waits within `limit` of real time (a broken test then fails instead of hanging). A writer
  // waiting on its channel this way has handled every message pushed before.
  std::optional<int64_t> AwaitWaiter(
      std::chrono::milliseconds limit = std::chrono::seconds(30)) const;

 private:
  struct Waiter {
    std::mutex* mu;
    std::condition_variable* cv;
    int64_t deadline_us;
  };

  mutable std::mutex mu_;
  mutable std::condition_variable waiters_changed_;
  int64_t now_us_ = 0;
  mutable std::list<Waiter> waiters_;
};

}  // namespace quarry::testing
