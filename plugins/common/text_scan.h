// Small scanners for the text forms destinations read back (dates and timestamps as a database
// prints them): each consumes what it matched from the front of `v`, or leaves `v` as it was
// and returns false. Header-only; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace quarry::plugins {

// Between `min` and `max` decimal digits at the front of `v`, as a number.
inline bool TakeNumber(std::string_view& v, size_t min, size_t max, int64_t* out) {
  size_t n = 0;
  int64_t x = 0;
  for (; n < v.size() && n < max && v[n] >= '0' && v[n] <= '9'; ++n) x = x * 10 + (v[n] - '0');
  if (n < min) return false;
  v.remove_prefix(n);
  *out = x;
  return true;
}

// The character `c` at the front of `v`.
inline bool TakeChar(std::string_view& v, char c) {
  if (v.empty() || v[0] != c) return false;
  v.remove_prefix(1);
  return true;
}

}  // namespace quarry::plugins
