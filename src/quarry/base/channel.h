// Channel<T>: a bounded multi-producer, multi-consumer FIFO. It is the back-pressure between
// pipeline stages: Push blocks while the channel is full.
//
// Thread-safe. Close() wakes every waiter; after Close, Push fails and Pop drains what is left,
// then reports closed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace quarry {

enum class PopResult { kItem, kTimeout, kClosed };

template <typename T>
class Channel {
 public:
  // REQUIRES: capacity > 0
  explicit Channel(size_t capacity) : capacity_(capacity) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Blocks while full. Returns false when the channel was closed (the item is dropped).
  bool Push(T item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // Blocks until an item arrives or the channel is closed and drained.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  // Like Pop, but gives up at `deadline`.
  PopResult PopUntil(std::chrono::steady_clock::time_point deadline, T* out) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); })) {
      return PopResult::kTimeout;
    }
    auto item = TakeLocked();
    if (!item) return PopResult::kClosed;
    *out = std::move(*item);
    return PopResult::kItem;
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  std::optional<T> TakeLocked() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace quarry
