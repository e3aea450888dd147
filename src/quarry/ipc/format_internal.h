// Internal to src/quarry/ipc: what the stream writer (writer.cc) and reader (reader.cc) share.
// Nothing outside this folder includes it, so nothing else sees flatbuffers.
#pragma once

#include <cstdint>
#include <string_view>

#include "quarry/ipc/arrow_format_generated.h"

namespace quarry::ipc::internal {

// Opens every message's length prefix (and, followed by a zero length, ends the stream).
inline constexpr uint32_t kContinuation = 0xFFFFFFFFu;
// The field metadata keys that carry an extension type as its storage type.
inline constexpr std::string_view kExtName = "ARROW:extension:name";
inline constexpr std::string_view kExtMetadata = "ARROW:extension:metadata";
// The offsets buffer of an empty variable-length array (an array may omit it when empty).
inline constexpr uint8_t kZeroOffset[4] = {0, 0, 0, 0};

inline int64_t PaddedTo8(int64_t n) { return (n + 7) & ~int64_t{7}; }

}  // namespace quarry::ipc::internal
