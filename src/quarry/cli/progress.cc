#include "quarry/cli/progress.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "quarry/base/time.h"

namespace quarry::cli {
namespace {

std::string WithThousands(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > (n < 0 ? 1 : 0); i -= 3) {
    s.insert(static_cast<size_t>(i), ",");
  }
  return s;
}

}  // namespace

ProgressLine::ProgressLine(const engine::Progress& progress, Logger& logger, bool enabled)
    : progress_(progress), logger_(logger), enabled_(enabled) {
  if (!enabled_) return;
  logger_.SetBeforeStderrWrite([this] { Clear(); });
  start_ = NowMicros();
  thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

ProgressLine::~ProgressLine() { Stop(); }

void ProgressLine::Stop() {
  if (!enabled_) return;
  thread_.request_stop();
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  logger_.SetBeforeStderrWrite(nullptr);
  Clear();
  enabled_ = false;
}

void ProgressLine::Clear() {
  if (shown_) {
    std::fputs("\r\033[K", stderr);
    shown_ = false;
  }
}

void ProgressLine::Loop(std::stop_token stop) {
  int64_t last_rows = 0, last_t = start_;
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    cv_.wait_for(lock, std::chrono::milliseconds(500));
    if (stop.stop_requested()) break;
    const int64_t now = NowMicros(), rows = progress_.rows();
    const double rate = now > last_t ? (rows - last_rows) * 1e6 / double(now - last_t) : 0;
    last_rows = rows;
    last_t = now;
    const auto tables = progress_.ActiveTables(2'000'000, 3);
    std::string line =
        fmt::format("Syncing: {} rows ({} rows/s), elapsed {}", WithThousands(rows),
                    WithThousands(static_cast<int64_t>(rate)), FormatDuration(now - start_));
    if (!tables.empty()) line += fmt::format(", tables: {}", fmt::join(tables, ", "));
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
}

}  // namespace quarry::cli
