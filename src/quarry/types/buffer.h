// Buffer: an immutable, owned, contiguous run of bytes (64-byte aligned), and BufferBuilder,
// which grows one. Arrays share buffers through std::shared_ptr<const Buffer>.
//
// Buffer is immutable and thread-safe; BufferBuilder is not thread-safe.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace quarry::types {

class Buffer {
 public:
  // Takes ownership of `data`, which must come from std::malloc/std::realloc (or be null).
  Buffer(uint8_t* data, int64_t size) : data_(data), size_(size) {}
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }

 private:
  uint8_t* data_;
  int64_t size_;
};

using BufferPtr = std::shared_ptr<const Buffer>;

class BufferBuilder {
 public:
  BufferBuilder() = default;
  ~BufferBuilder() { std::free(data_); }
  BufferBuilder(const BufferBuilder&) = delete;
  BufferBuilder& operator=(const BufferBuilder&) = delete;

  void Reserve(int64_t extra) {
    if (size_ + extra > capacity_) Grow(size_ + extra);
  }
  void Append(const void* p, int64_t n) {
    Reserve(n);
    if (n > 0) std::memcpy(data_ + size_, p, static_cast<size_t>(n));
    size_ += n;
  }
  template <typename T>
  void AppendValue(T v) {
    Reserve(sizeof(T));
    std::memcpy(data_ + size_, &v, sizeof(T));
    size_ += sizeof(T);
  }
  // Appends n zero bytes.
  void AppendZeros(int64_t n) {
    Reserve(n);
    std::memset(data_ + size_, 0, static_cast<size_t>(n));
    size_ += n;
  }
  // Shrinks to n bytes. REQUIRES: n <= size().
  void Truncate(int64_t n) { size_ = n; }
  uint8_t* mutable_data() { return data_; }
  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }

  // Hands the bytes over as a Buffer and resets this builder to empty.
  BufferPtr Finish() {
    auto buf = std::make_shared<const Buffer>(data_, size_);
    data_ = nullptr;
    size_ = capacity_ = 0;
    return buf;
  }

 private:
  void Grow(int64_t min_capacity) {
    int64_t cap = capacity_ == 0 ? 64 : capacity_;
    while (cap < min_capacity) cap *= 2;
    data_ = static_cast<uint8_t*>(std::realloc(data_, static_cast<size_t>(cap)));
    if (data_ == nullptr) std::abort();  // out of memory
    capacity_ = cap;
  }

  uint8_t* data_ = nullptr;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
};

}  // namespace quarry::types
