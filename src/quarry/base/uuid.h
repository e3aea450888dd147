// UUIDs for `_cq_id`: random (version 4) and name-based (version 5, SHA-1), and their text form.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace quarry {

using Uuid = std::array<uint8_t, 16>;

// Fast non-cryptographic random v4 UUIDs (xoshiro256**), seeded from std::random_device.
// Not thread-safe: one generator per thread.
class UuidGenerator {
 public:
  UuidGenerator();
  explicit UuidGenerator(uint64_t seed);
  void NextV4(uint8_t* out16);

 private:
  uint64_t Next();
  uint64_t s_[4];
};

// Version-5 UUID of `name` in the nil namespace (SHA-1 based, as CloudQuery's deterministic ids).
void UuidV5(std::string_view name, uint8_t* out16);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; writes exactly 36 chars.
void FormatUuid(const uint8_t* in16, char* out36);
std::string FormatUuid(const uint8_t* in16);

// SHA-1 digest (20 bytes) of `data`.
std::array<uint8_t, 20> Sha1(std::string_view data);

}  // namespace quarry
