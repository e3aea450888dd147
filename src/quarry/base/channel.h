// Channel<T>: a bounded multi-producer, multi-consumer FIFO. It is the back-pressure between
// pipeline stages: Push blocks while the channel is full — by count of items, and optionally by
// their weight (e.g. bytes), so that large items cannot multiply the memory a channel holds. An
// item heavier than the whole budget still passes alone, into an empty channel.
//
// Thread-safe. Close() wakes every waiter; after Close, Push fails and Pop drains what is left,
// then reports closed.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "quarry/base/clock.h"

namespace quarry {

enum class PopResult { kItem, kTimeout, kClosed };

template <typename T>
class Channel {
 public:
  using Weigh = std::function<int64_t(const T&)>;
  // REQUIRES: capacity > 0. `max_weight` > 0 bounds the sum of `weigh` over the items held.
  explicit Channel(size_t capacity, int64_t max_weight = 0, Weigh weigh = nullptr)
      : capacity_(capacity), max_weight_(max_weight), weigh_(std::move(weigh)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Blocks while full. Returns false when the channel was closed (the item is dropped).
  bool Push(T item) {
    const int64_t w = max_weight_ > 0 && weigh_ ? weigh_(item) : 0;
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] {
      return closed_ || (items_.size() < capacity_ &&
                         (items_.empty() || weight_ + w <= max_weight_ || max_weight_ <= 0));
    });
    if (closed_) return false;
    items_.push_back({std::move(item), w});
    weight_ += w;
    not_empty_.notify_one();
    return true;
  }

  // Blocks until an item arrives or the channel is closed and drained.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  // Like Pop, but gives up when `clock` reaches `deadline_us`.
  PopResult PopUntil(const Clock& clock, int64_t deadline_us, T* out) {
    std::unique_lock lock(mu_);
    if (!clock.WaitUntil(lock, not_empty_, deadline_us,
                         [&] { return closed_ || !items_.empty(); })) {
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
    T item = std::move(items_.front().first);
    weight_ -= items_.front().second;
    items_.pop_front();
    not_full_.notify_all();  // a lighter item may now fit where a heavier one waits
    return item;
  }

  const size_t capacity_;
  const int64_t max_weight_;
  const Weigh weigh_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::pair<T, int64_t>> items_;
  int64_t weight_ = 0;
  bool closed_ = false;
};

}  // namespace quarry
