#include "plugins/destination/postgresql/pg_copy.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <bit>
#include <charconv>

#include "plugins/destination/postgresql/pg_types.h"
#include "quarry/types/json.h"

namespace quarry::plugins::postgresql {

using types::TypeId;

namespace {

inline void PutBytes(CopyBuffer& b, std::string_view v) {
  uint8_t* p = b.Grow(4 + v.size());
  Put32(p, static_cast<uint32_t>(v.size()));
  if (!v.empty()) std::memcpy(p + 4, v.data(), v.size());
}

// Text, which must not hold a NUL byte: PostgreSQL's text cannot, and dropping the byte would
// turn the value into another one (keys "a\0b" and "ab" would become one row). Returns false
// for such text, leaving the buffer as it was.
inline bool PutText(CopyBuffer& b, std::string_view v) {
  if (!v.empty() && std::memchr(v.data(), 0, v.size()) != nullptr) return false;
  PutBytes(b, v);
  return true;
}

// jsonb: a version byte (1) and the JSON text. Returns false, leaving the buffer as it was, for
// JSON holding a NUL: jsonb refuses a \u0000 escape (its strings are text), and a raw NUL byte is
// no JSON.
bool PutJson(CopyBuffer& b, std::string_view v) {
  if (!v.empty() && std::memchr(v.data(), 0, v.size()) != nullptr) return false;
  for (size_t i = v.find('\\'); i != std::string_view::npos; i = v.find('\\', i + 2)) {
    if (v.substr(i + 1, 5) == "u0000") return false;  // i + 2 skips an escaped char, e.g. "\\"
  }
  uint8_t* p = b.Grow(5 + v.size());
  Put32(p, static_cast<uint32_t>(v.size() + 1));
  p[4] = 1;
  if (!v.empty()) std::memcpy(p + 5, v.data(), v.size());
  return true;
}

// numeric: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then base-10000 digits, most
// significant first (trailing zero digits left out).
void PutNumeric(CopyBuffer& b, uint64_t v) {
  uint16_t groups[5];  // least significant first
  int n = 0;
  for (; v != 0; v /= 10'000) groups[n++] = static_cast<uint16_t>(v % 10'000);
  int low = 0;
  while (low < n && groups[low] == 0) ++low;
  const int ndigits = n - low;
  uint8_t* p = b.Grow(4 + 8 + 2 * static_cast<size_t>(ndigits));
  Put32(p, static_cast<uint32_t>(8 + 2 * ndigits));
  Put16(p + 4, static_cast<uint16_t>(ndigits));
  Put16(p + 6, static_cast<uint16_t>(n == 0 ? 0 : n - 1));  // weight
  Put16(p + 8, 0);                                          // sign: positive
  Put16(p + 10, 0);                                         // dscale
  p += 12;
  for (int k = n - 1; k >= low; --k, p += 2) Put16(p, groups[k]);
}

// inet: family (2 = IPv4, 3 = IPv6), bits, is_cidr (0), address length, address bytes. Takes
// "addr" or "addr/bits".
bool PutInet(CopyBuffer& b, std::string_view text) {
  char addr[64];
  const size_t slash = text.find('/');
  const std::string_view a = text.substr(0, slash);
  if (a.empty() || a.size() >= sizeof addr) return false;
  std::memcpy(addr, a.data(), a.size());
  addr[a.size()] = '\0';
  uint8_t bytes[16];
  const bool v6 = a.find(':') != std::string_view::npos;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bytes) != 1) return false;
  const int max_bits = v6 ? 128 : 32;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view s = text.substr(slash + 1);
    const auto r = std::from_chars(s.data(), s.data() + s.size(), bits);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || bits < 0 ||
        bits > max_bits) {
      return false;
    }
  }
  const size_t nb = v6 ? 16 : 4;
  uint8_t* p = b.Grow(8 + nb);
  Put32(p, static_cast<uint32_t>(4 + nb));
  p[4] = v6 ? 3 : 2;
  p[5] = static_cast<uint8_t>(bits);
  p[6] = 0;
  p[7] = static_cast<uint8_t>(nb);
  std::memcpy(p + 8, bytes, nb);
  return true;
}

}  // namespace

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

namespace {

// macaddr: 6 bytes. Takes 12 hex digits with any of the separators PostgreSQL knows (: - .).
bool PutMac(CopyBuffer& b, std::string_view text) {
  uint8_t mac[6] = {};
  int digits = 0;
  for (char c : text) {
    if (c == ':' || c == '-' || c == '.') continue;
    const int h = HexValue(c);
    if (h < 0 || digits == 12) return false;
    mac[digits / 2] = static_cast<uint8_t>(mac[digits / 2] << 4 | h);
    ++digits;
  }
  if (digits != 12) return false;
  uint8_t* p = b.Grow(10);
  Put32(p, 6);
  std::memcpy(p + 4, mac, 6);
  return true;
}

template <typename Wire, typename T>
inline void PutFixed(CopyBuffer& b, T v) {
  uint8_t* p = b.Grow(4 + sizeof(Wire));
  Put32(p, sizeof(Wire));
  if constexpr (sizeof(Wire) == 2) {
    Put16(p + 4, static_cast<uint16_t>(static_cast<Wire>(v)));
  } else if constexpr (sizeof(Wire) == 4) {
    Put32(p + 4, static_cast<uint32_t>(static_cast<Wire>(v)));
  } else {
    Put64(p + 4, static_cast<uint64_t>(static_cast<Wire>(v)));
  }
}

// A one-dimensional array (or, for an empty list, a zero-dimensional one).
Unfit PutList(CopyBuffer& b, const types::Array& a, int64_t i) {
  const types::Array& child = a.child();
  const int32_t begin = a.list_offset(i);
  const int32_t end = a.list_offset(i + 1);
  const TypeId eid = child.type()->id();
  bool has_null = false;
  if (child.null_count() > 0) {
    for (int32_t j = begin; j < end && !has_null; ++j) has_null = child.IsNull(j);
  }
  const size_t at = b.size();
  if (begin == end) {
    uint8_t* p = b.Grow(16);
    Put32(p + 4, 0);  // ndim
    Put32(p + 8, 0);  // flags
    Put32(p + 12, ElementOid(eid));
  } else {
    uint8_t* p = b.Grow(24);
    Put32(p + 4, 1);
    Put32(p + 8, has_null ? 1 : 0);
    Put32(p + 12, ElementOid(eid));
    Put32(p + 16, static_cast<uint32_t>(end - begin));  // dimension length
    Put32(p + 20, 1);                                   // lower bound
    for (int32_t j = begin; j < end; ++j) {
      if (child.IsNull(j)) {
        PutNull(b);
      } else if (const Unfit why = PutValue(b, child, eid, j); why != Unfit::kNone) {
        return why;
      }
    }
  }
  b.Patch32(at, static_cast<uint32_t>(b.size() - at - 4));
  return Unfit::kNone;
}

}  // namespace

Unfit PutValue(CopyBuffer& b, const types::Array& a, TypeId id, int64_t i) {
  const uint8_t* values = a.values_buffer() != nullptr ? a.values_buffer()->data() : nullptr;
  switch (id) {
    case TypeId::kBool: {
      uint8_t* p = b.Grow(5);
      Put32(p, 1);
      p[4] = Bit(values, i) ? 1 : 0;
      return Unfit::kNone;
    }
    case TypeId::kInt8:
      PutFixed<int16_t>(b, Load<int8_t>(values, i));
      return Unfit::kNone;
    case TypeId::kUint8:
      PutFixed<int16_t>(b, Load<uint8_t>(values, i));
      return Unfit::kNone;
    case TypeId::kInt16:
      PutFixed<int16_t>(b, Load<int16_t>(values, i));
      return Unfit::kNone;
    case TypeId::kInt32:
      PutFixed<int32_t>(b, Load<int32_t>(values, i));
      return Unfit::kNone;
    case TypeId::kUint16:
      PutFixed<int32_t>(b, Load<uint16_t>(values, i));
      return Unfit::kNone;
    case TypeId::kInt64:
      PutFixed<int64_t>(b, Load<int64_t>(values, i));
      return Unfit::kNone;
    case TypeId::kUint32:
      PutFixed<int64_t>(b, Load<uint32_t>(values, i));
      return Unfit::kNone;
    case TypeId::kUint64:
      PutNumeric(b, Load<uint64_t>(values, i));
      return Unfit::kNone;
    case TypeId::kFloat32:
      PutFixed<uint32_t>(b, std::bit_cast<uint32_t>(Load<float>(values, i)));
      return Unfit::kNone;
    case TypeId::kFloat64:
      PutFixed<uint64_t>(b, std::bit_cast<uint64_t>(Load<double>(values, i)));
      return Unfit::kNone;
    case TypeId::kTimestamp: {
      // Outside the range, the server would refuse most values itself, but a difference that
      // overflows would wrap into range and the smallest value would read as -infinity.
      int64_t pg = 0;
      if (__builtin_sub_overflow(Load<int64_t>(values, i), kPgEpochMicros, &pg) ||
          pg < kPgMinTimestamp || pg >= kPgEndTimestamp) {
        return Unfit::kOutOfRange;
      }
      PutFixed<int64_t>(b, pg);
      return Unfit::kNone;
    }
    case TypeId::kDate32: {
      const int64_t pg = int64_t{Load<int32_t>(values, i)} - kPgEpochDays;
      if (pg < kPgMinDate || pg >= kPgEndDate) return Unfit::kOutOfRange;
      PutFixed<int32_t>(b, pg);
      return Unfit::kNone;
    }
    case TypeId::kUuid:
      PutBytes(b, {reinterpret_cast<const char*>(values) + i * 16, 16});
      return Unfit::kNone;
    case TypeId::kUtf8:
      return PutText(b, a.GetView(i)) ? Unfit::kNone : Unfit::kNul;
    case TypeId::kBinary:
      PutBytes(b, a.GetView(i));
      return Unfit::kNone;
    case TypeId::kJson:
      return PutJson(b, a.GetView(i)) ? Unfit::kNone : Unfit::kNul;
    case TypeId::kInet:
      return PutInet(b, a.GetView(i)) ? Unfit::kNone : Unfit::kSyntax;
    case TypeId::kMac:
      return PutMac(b, a.GetView(i)) ? Unfit::kNone : Unfit::kSyntax;
    case TypeId::kList:
      if (IsNestedList(*a.type())) {
        std::string text;
        types::AppendValueJson(a, i, &text);
        return PutText(b, text) ? Unfit::kNone : Unfit::kNul;  // JSON escapes NUL: never kNul
      }
      return PutList(b, a, i);
  }
  return Unfit::kSyntax;
}

std::string UnfitMessage(Unfit why, const types::Array& a, int64_t i) {
  const types::DataType& t = *a.type();
  const types::DataType& scalar = t.id() == TypeId::kList ? *t.value_type() : t;
  switch (why) {
    case Unfit::kNone:
    case Unfit::kSyntax:
      break;
    case Unfit::kNul:
      return t.id() == TypeId::kJson
                 ? "JSON contains a NUL character (\\u0000), which PostgreSQL's jsonb cannot store"
                 : "text contains a NUL byte, which PostgreSQL cannot store";
    case Unfit::kOutOfRange:
      return scalar.id() == TypeId::kDate32
                 ? "date outside PostgreSQL's range (4714-11-24 BC to 5874897-12-31)"
                 : "timestamp outside PostgreSQL's range (4714-11-24 00:00:00 BC to "
                   "294276-12-31 23:59:59.999999)";
  }
  return fmt::format("invalid {} value {}", PgType(t), types::ValueToJson(a, i));
}

bool MayBeUnfit(const types::Array& a) {
  switch (a.type()->id()) {
    case TypeId::kUtf8:
    case TypeId::kJson: {
      const types::BufferPtr& data = a.data_buffer();
      if (data == nullptr || data->size() == 0) return false;
      const std::string_view all(reinterpret_cast<const char*>(data->data()),
                                 static_cast<size_t>(data->size()));
      return all.find('\0') != std::string_view::npos ||
             (a.type()->id() == TypeId::kJson && all.find("\\u0000") != std::string_view::npos);
    }
    case TypeId::kTimestamp:
    case TypeId::kDate32:
      return true;
    case TypeId::kList:
      return !IsNestedList(*a.type()) && MayBeUnfit(a.child());
    default:
      return false;
  }
}

}  // namespace quarry::plugins::postgresql
