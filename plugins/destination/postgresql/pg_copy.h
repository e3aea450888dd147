// PostgreSQL's binary COPY format, written straight from Arrow buffers (PostgreSQL docs, "COPY —
// Binary Format", and each type's *_send function): a header, then per row an int16 field count
// and per field an int32 byte length (-1 for NULL) followed by the value in network byte order,
// then an int16 -1 trailer.
//
// A value PostgreSQL cannot store as it is (text with a NUL byte, a timestamp outside its range,
// an address that does not parse) is never altered to fit: PutValue says why it is unfit.
// Pure functions on caller-owned buffers; thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/types/array.h"

namespace quarry::plugins::postgresql {

inline constexpr char kCopyHeader[] = "PGCOPY\n\377\r\n\0";  // 11 bytes, then flags and extension

inline void Put16(uint8_t* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline void Put32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}
inline void Put64(uint8_t* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

template <typename T>
inline T Load(const uint8_t* values, int64_t i) {
  T v;
  std::memcpy(&v, values + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

inline bool Bit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

// A growing byte buffer that keeps its capacity across Clear().
class CopyBuffer {
 public:
  // Room for n more bytes, counted as written.
  uint8_t* Grow(size_t n) {
    if (size_ + n > data_.size()) data_.resize(std::max(data_.size() * 2, size_ + n + 4096));
    uint8_t* p = data_.data() + size_;
    size_ += n;
    return p;
  }
  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  const char* data() const { return reinterpret_cast<const char*>(data_.data()); }
  void Patch32(size_t at, uint32_t v) { Put32(data_.data() + at, v); }

 private:
  std::vector<uint8_t> data_;
  size_t size_ = 0;
};

inline void PutNull(CopyBuffer& b) { Put32(b.Grow(4), 0xFFFFFFFFu); }

// Why a value was not encoded: PostgreSQL cannot store it as it is, and storing something else
// in its place would silently change the data.
enum class Unfit {
  kNone,
  kSyntax,      // text that does not parse as the column's type (inet, macaddr)
  kNul,         // text or JSON holding a NUL character
  kOutOfRange,  // a timestamp or date outside PostgreSQL's range
};

// Appends value i of `a` (not null) as a length-prefixed field of the column's PostgreSQL type,
// or returns why it cannot (the buffer then holds a partial field: the COPY is to be abandoned).
Unfit PutValue(CopyBuffer& b, const types::Array& a, types::TypeId id, int64_t i);

// What is wrong with value i of `a`, for an error message.
std::string UnfitMessage(Unfit why, const types::Array& a, int64_t i);

// True when some value of `a` may be one PostgreSQL cannot store as it is: a cheap look at the
// buffers (a NUL byte or a \u0000 escape anywhere in text or JSON; any timestamp or date, whose
// range is checked per value). Inet and mac syntax is left to the write.
bool MayBeUnfit(const types::Array& a);

// The value of a hex digit, -1 for another character.
int HexValue(char c);

}  // namespace quarry::plugins::postgresql
