// One field of every type of the columnar core, in a fixed order — for tests, tools and the
// cross-checks against other Arrow implementations. Header-only; thread-safe.
#pragma once

#include <vector>

#include "quarry/types/record_batch.h"

namespace quarry::types {

// b bool, i8…i64, u8…u64, f32, f64, s utf8, bin binary, ts timestamp, d date32, id uuid, j json,
// ip inet, m mac, l list<int64>, ls list<utf8>.
inline std::vector<Field> EveryTypeFields() {
  return {{"b", boolean()},    {"i8", int8()},      {"i16", int16()},   {"i32", int32()},
          {"i64", int64()},    {"u8", uint8()},     {"u16", uint16()},  {"u32", uint32()},
          {"u64", uint64()},   {"f32", float32()},  {"f64", float64()}, {"s", utf8()},
          {"bin", binary()},   {"ts", timestamp()}, {"d", date32()},    {"id", uuid()},
          {"j", json()},       {"ip", inet()},      {"m", mac()},       {"l", list(int64())},
          {"ls", list(utf8())}};
}

}  // namespace quarry::types
