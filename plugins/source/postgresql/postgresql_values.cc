// Values of PostgreSQL's binary COPY format appended to Quarry builders: the fixed-width scalars
// (big-endian, timestamps and dates from the 2000-01-01 epoch) and one-dimensional or flattened
// arrays.
#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string_view>

#include "plugins/source/postgresql/postgresql_source_impl.h"

namespace quarry::plugins::postgresql_source {
namespace {

constexpr int64_t kPgEpochMicros = 946'684'800'000'000LL;  // 2000-01-01 in Unix microseconds
constexpr int32_t kPgEpochDays = 10'957;                   // 2000-01-01 in Unix days

}  // namespace

Status AppendScalar(Wire wire, const char* p, int32_t len, types::ArrayBuilder& b) {
  static constexpr int kWidth[] = {1, 2, 4, 8, 4, 8, -1, 8, 4, 16};
  const int want = kWidth[static_cast<int>(wire)];
  if (want >= 0 && len != want) {
    return Status::Invalid(
        fmt::format("unexpected {}-byte value for {}", len, b.type()->ToString()));
  }
  switch (wire) {
    case Wire::kBool:
      b.AppendBool(*p != 0);
      break;
    case Wire::kInt2:
      b.Append<int16_t>(ReadBe<int16_t>(p));
      break;
    case Wire::kInt4:
      b.Append<int32_t>(ReadBe<int32_t>(p));
      break;
    case Wire::kInt8:
      b.Append<int64_t>(ReadBe<int64_t>(p));
      break;
    case Wire::kFloat4:
      b.Append<float>(std::bit_cast<float>(ReadBe<uint32_t>(p)));
      break;
    case Wire::kFloat8:
      b.Append<double>(std::bit_cast<double>(ReadBe<uint64_t>(p)));
      break;
    case Wire::kTimestamp: {
      const int64_t v = ReadBe<int64_t>(p);
      if (v == std::numeric_limits<int64_t>::max() || v == std::numeric_limits<int64_t>::min()) {
        return Status::Invalid(
            fmt::format("{}infinity is not a valid timestamp", v < 0 ? "-" : ""));
      }
      // PostgreSQL's range ends in 294276 AD; microseconds since 1970 in an int64 (Quarry's and
      // Arrow's timestamp) end in 294247: later values cannot be held, never wrapped around.
      int64_t unix_us = 0;
      if (__builtin_add_overflow(v, kPgEpochMicros, &unix_us)) {
        return Status::Invalid(
            "timestamp after 294247-01-10 04:00:54.775807 UTC, which microseconds since 1970 in "
            "64 bits (Quarry's timestamp type) cannot hold");
      }
      b.Append<int64_t>(unix_us);
      break;
    }
    case Wire::kDate: {
      const int32_t v = ReadBe<int32_t>(p);
      if (v == std::numeric_limits<int32_t>::max() || v == std::numeric_limits<int32_t>::min()) {
        return Status::Invalid(fmt::format("{}infinity is not a valid date", v < 0 ? "-" : ""));
      }
      b.Append<int32_t>(v + kPgEpochDays);
      break;
    }
    case Wire::kUuid:
    case Wire::kBytes:
      b.AppendBytes(std::string_view(p, static_cast<size_t>(len)));
      break;
  }
  return Status::OK();
}

Status AppendArray(Wire wire, const char* p, int32_t len, types::ArrayBuilder& b) {
  auto bad = [] { return Status::Invalid("malformed binary array"); };
  if (len < 12) return bad();
  const int32_t ndim = ReadBe<int32_t>(p);
  if (ndim < 0 || len < 12 + 8 * ndim) return bad();
  int64_t count = ndim == 0 ? 0 : 1;
  for (int32_t d = 0; d < ndim; ++d) count *= ReadBe<int32_t>(p + 12 + 8 * d);
  const char* q = p + 12 + 8 * ndim;
  const char* end = p + len;
  types::ArrayBuilder& child = b.child();
  for (int64_t i = 0; i < count; ++i) {
    if (end - q < 4) return bad();
    const int32_t n = ReadBe<int32_t>(q);
    q += 4;
    if (n < 0) {
      child.AppendNull();
      continue;
    }
    if (end - q < n) return bad();
    QUARRY_RETURN_NOT_OK(AppendScalar(wire, q, n, child));
    q += n;
  }
  b.FinishList();
  return Status::OK();
}

}  // namespace quarry::plugins::postgresql_source
