#include "quarry/cli/interrupt.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>

namespace quarry::cli {

namespace {

sigset_t Signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

}  // namespace

const char* SignalName(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

InterruptWatcher::InterruptWatcher() {
  const sigset_t signals = Signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  thread_ = std::jthread([this, signals](std::stop_token stop) {
    const timespec tick{0, 100'000'000};
    while (!stop.stop_requested()) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig <= 0) continue;
      int none = 0;
      if (!signal_.compare_exchange_strong(none, sig)) {
        std::fprintf(stderr, "\n%s again: exiting at once\n", SignalName(sig));
        std::fflush(nullptr);
        ::_exit(128 + sig);
      }
      std::fprintf(stderr,
                   "\n%s: stopping — committing what is in flight and writing the summary (send "
                   "it again to exit at once)\n",
                   SignalName(sig));
      std::function<void()> fn;
      {
        std::lock_guard lock(mu_);
        fn = stop_;
      }
      if (fn) fn();
    }
  });
}

InterruptWatcher::~InterruptWatcher() {
  thread_.request_stop();
  thread_.join();
}

void InterruptWatcher::OnFirst(std::function<void()> stop) {
  {
    std::lock_guard lock(mu_);
    stop_ = stop;
  }
  if (signal_.load() != 0 && stop) stop();
}

}  // namespace quarry::cli
