// libFuzzer target: the Arrow IPC decoder on arbitrary bytes. Whatever decodes must be well
// formed: encoding it and decoding that gives back exactly the same bytes when encoded again. Built
// with clang (-fsanitize=fuzzer,address,undefined).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "quarry/ipc/ipc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quarry;
  auto stream = ipc::DecodeStream(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!stream.ok()) return 0;
  for (const auto& batch : stream->batches) {
    const std::string bytes = ipc::EncodeRecord(*batch);
    auto again = ipc::DecodeRecord(bytes);
    if (!again.ok() || ipc::EncodeRecord(**again) != bytes) std::abort();
  }
  return 0;
}
