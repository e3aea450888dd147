#include "quarry/testing/fake_clock.h"

#include <algorithm>
#include <vector>

namespace quarry::testing {

int64_t FakeClock::NowMicros() const {
  std::lock_guard lock(mu_);
  return now_us_;
}

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          int64_t deadline_us, const std::function<bool()>& ready) const {
  // Only a wait that blocks counts as a waiter (AwaitWaiter).
  if (ready()) return true;
  std::list<Waiter>::iterator self;
  {
    std::lock_guard guard(mu_);
    self = waiters_.insert(waiters_.end(), Waiter{lock.mutex(), &cv, deadline_us});
    waiters_changed_.notify_all();
  }
  // Advance notifies `cv` under the caller's mutex, which this thread holds from its check of
  // the time until cv.wait releases it: no advance is missed.
  while (!ready() && NowMicros() < deadline_us) cv.wait(lock);
  {
    std::lock_guard guard(mu_);
    waiters_.erase(self);
    waiters_changed_.notify_all();
  }
  return ready();
}

void FakeClock::Advance(int64_t micros) {
  std::vector<Waiter> to_wake;
  {
    std::lock_guard guard(mu_);
    now_us_ += micros;
    to_wake.assign(waiters_.begin(), waiters_.end());
  }
  // Not under mu_: a waiter takes mu_ while it holds its own mutex.
  for (const Waiter& w : to_wake) {
    std::lock_guard guard(*w.mu);
    w.cv->notify_all();
  }
}

std::optional<int64_t> FakeClock::AwaitWaiter(std::chrono::milliseconds limit) const {
  std::unique_lock lock(mu_);
  if (!waiters_changed_.wait_for(lock, limit, [&] { return !waiters_.empty(); })) {
    return std::nullopt;
  }
  int64_t earliest = waiters_.front().deadline_us;
  for (const Waiter& w : waiters_) earliest = std::min(earliest, w.deadline_us);
  return earliest;
}

}  // namespace quarry::testing
