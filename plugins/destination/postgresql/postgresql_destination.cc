#include "plugins/destination/postgresql/postgresql_destination.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/common/pg_connection.h"
#include "plugins/common/sql_text.h"
#include "plugins/common/text_scan.h"
#include "quarry/base/time.h"
#include "quarry/schema/diff.h"
#include "quarry/types/json.h"

namespace quarry::plugins {
namespace {

using sql::Quote;
using sql::QuoteList;

using plugin::MigrateMode;
using plugin::PkMode;
using plugin::WriteMode;
using types::TypeId;

// Built-in type OIDs (PostgreSQL's pg_type.dat; fixed across versions). Binary arrays carry
// their element type's OID, which the server checks against the column's.
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kByteaOid = 17;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kMacaddrOid = 829;
constexpr uint32_t kInetOid = 869;
constexpr uint32_t kDateOid = 1082;
constexpr uint32_t kTimestampOid = 1114;
constexpr uint32_t kNumericOid = 1700;
constexpr uint32_t kUuidOid = 2950;
constexpr uint32_t kJsonbOid = 3802;

// PostgreSQL counts time from 2000-01-01, Arrow from 1970-01-01.
constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
constexpr int32_t kPgEpochDays = 10'957;

// PostgreSQL's range (datatype/timestamp.h, counted from its epoch): timestamps from 4714-11-24
// 00:00 BC up to, not including, 294277-01-01; dates from 4714-11-24 BC up to, not including,
// 5874898-01-01. The smallest and largest int64 / int32 are -infinity and infinity.
constexpr int64_t kPgMinTimestamp = -211'813'488'000'000'000;
constexpr int64_t kPgEndTimestamp = 9'223'371'331'200'000'000;
constexpr int64_t kPgMinDate = -2'451'545;
constexpr int64_t kPgEndDate = 2'145'031'949;

// COPY data is handed to libpq in pieces of about this size: big enough that the per-call cost
// vanishes, small enough that memory stays flat whatever the batch size.
constexpr size_t kCopyChunk = 1 << 20;

// Rows per FETCH when reading a table back.
constexpr int kReadRows = 10'000;

// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1).
constexpr size_t kMaxIdentifier = 63;

// First key of the transaction-level advisory lock that serialises migrations of one schema
// ("QRRY"); the second is hashtext(schema).
constexpr int32_t kMigrateLockClass = 0x51525259;

// A list of lists has no PostgreSQL array type (arrays are rectangular): it is stored as JSON
// text.
bool IsNestedList(const types::DataType& t) {
  return t.id() == TypeId::kList && t.value_type()->id() == TypeId::kList;
}

// The column type, spelled as format_type() spells it so that migrations compare names.
std::string PgType(const types::DataType& t) {
  switch (t.id()) {
    case TypeId::kBool:
      return "boolean";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kUint8:
      return "smallint";
    case TypeId::kInt32:
    case TypeId::kUint16:
      return "integer";
    case TypeId::kInt64:
    case TypeId::kUint32:
      return "bigint";
    case TypeId::kUint64:
      return "numeric(20,0)";
    case TypeId::kFloat32:
      return "real";
    case TypeId::kFloat64:
      return "double precision";
    case TypeId::kUtf8:
      return "text";
    case TypeId::kBinary:
      return "bytea";
    case TypeId::kTimestamp:
      return "timestamp without time zone";
    case TypeId::kDate32:
      return "date";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kJson:
      return "jsonb";
    case TypeId::kInet:
      return "inet";
    case TypeId::kMac:
      return "macaddr";
    case TypeId::kList:
      return IsNestedList(t) ? "text" : PgType(*t.value_type()) + "[]";
  }
  return "text";
}

uint32_t ElementOid(TypeId id) {
  switch (id) {
    case TypeId::kBool:
      return kBoolOid;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kUint8:
      return kInt2Oid;
    case TypeId::kInt32:
    case TypeId::kUint16:
      return kInt4Oid;
    case TypeId::kInt64:
    case TypeId::kUint32:
      return kInt8Oid;
    case TypeId::kUint64:
      return kNumericOid;
    case TypeId::kFloat32:
      return kFloat4Oid;
    case TypeId::kFloat64:
      return kFloat8Oid;
    case TypeId::kUtf8:
      return kTextOid;
    case TypeId::kBinary:
      return kByteaOid;
    case TypeId::kTimestamp:
      return kTimestampOid;
    case TypeId::kDate32:
      return kDateOid;
    case TypeId::kUuid:
      return kUuidOid;
    case TypeId::kJson:
      return kJsonbOid;
    case TypeId::kInet:
      return kInetOid;
    case TypeId::kMac:
      return kMacaddrOid;
    case TypeId::kList:
      return kTextOid;  // nested lists are JSON text
  }
  return kTextOid;
}

// ---------------------------------------------------------------------------------------------
// Binary COPY encoding (PostgreSQL docs, "COPY — Binary Format", and each type's *_send
// function): a header, then per row an int16 field count and per field an int32 byte length
// (-1 for NULL) followed by the value in network byte order, then an int16 -1 trailer.

constexpr char kCopyHeader[] = "PGCOPY\n\377\r\n\0";  // 11 bytes, then flags and extension

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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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
Unfit PutValue(CopyBuffer& b, const types::Array& a, TypeId id, int64_t i);

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

// What is wrong with value i of `a`, for an error message.
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

// True when some value of `a` may be one PostgreSQL cannot store as it is: a cheap look at the
// buffers (a NUL byte or a \u0000 escape anywhere in text or JSON; any timestamp or date, whose
// range is checked per value). Inet and mac syntax is left to the write.
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

// ---------------------------------------------------------------------------------------------

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// "a\n\tb\n" -> "a b"
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The message of a failed result ("primary (detail)") and whether the data was at fault.
std::string ResultMessage(const pg::Connection* conn, const PGresult* res, StatusCode* code) {
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr) {
    *code = StatusCode::kIOError;
    return conn != nullptr ? conn->ErrorMessage() : "not connected";
  }
  const char* sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  // Class 22 (data exception) and 23 (integrity constraint violation): the user's data does
  // not fit; anything else is the outside world failing.
  const bool data = sqlstate != nullptr &&
                    (std::strncmp(sqlstate, "22", 2) == 0 || std::strncmp(sqlstate, "23", 2) == 0);
  *code = data ? StatusCode::kInvalidArgument : StatusCode::kIOError;
  std::string msg = primary;
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL); detail != nullptr) {
    msg += fmt::format(" ({})", OneLine(detail));
  }
  return msg;
}

// A connection with the user's string (DSN or URI) expanded, our defaults and timeouts. Errors
// read "postgresql: <what>: …".
Result<std::unique_ptr<pg::Connection>> Connect(const std::string& conninfo,
                                                const pg::Timeouts& timeouts,
                                                std::string_view what) {
  auto conn = pg::Connection::Open(
      conninfo, timeouts, {{"fallback_application_name", "quarry"}, {"client_encoding", "UTF8"}});
  if (!conn.ok()) {
    return Status::IOError(fmt::format("postgresql: {}{}", what, conn.status().message()));
  }
  return conn;
}

// What Write needs for one table, rebuilt when the table's columns change.
struct TableInfo {
  std::string name;
  // A direct COPY into the table hit an existing key in this session: upsert through staging.
  bool had_conflict = false;
  std::string qualified;  // "schema"."table"
  std::vector<std::string> names;
  std::vector<types::TypePtr> types;
  std::vector<int> required;  // not-null and key columns
  std::vector<std::string> keys;
  std::string columns;        // "a", "b"
  std::string upsert_select;  // SELECT DISTINCT ON (keys) cols FROM
  std::string upsert_tail;    // ORDER BY … ON CONFLICT … DO …
};

// The 64-bit advisory lock key of a lock name: the first 8 bytes of its MD5, so that distinct
// names (e.g. "sync ../x" and "sync __x") practically never share a lock.
#define QUARRY_PG_LOCK_KEY_SQL "('x' || substr(md5($1), 1, 16))::bit(64)::bigint"

// A session-level advisory lock, held by a connection of its own: closing it (or the process
// dying, which closes the socket) releases the lock.
class AdvisoryLock final : public plugin::SyncLock {
 public:
  explicit AdvisoryLock(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}

 private:
  std::unique_ptr<pg::Connection> conn_;
};

class PostgresqlDestination final : public plugin::DestinationPlugin {
 public:
  ~PostgresqlDestination() override { (void)Close(); }

  Status Configure(const nlohmann::json& spec) override;
  plugin::BatchOptions batch_options() const override { return batch_; }
  Status Init(const plugin::PluginContext& ctx, const plugin::DestinationOptions& options) override;
  Status Migrate(const std::vector<schema::TablePtr>& tables) override;
  Status Write(const schema::Table& table,
               const std::vector<types::RecordBatchPtr>& batches) override;
  Status WriteAll(const std::vector<plugin::TableWrite>& writes) override;
  Status Read(const schema::Table& table,
              const std::function<Status(types::RecordBatchPtr)>& fn) override;
  Result<std::unique_ptr<plugin::SyncLock>> TryLock(std::string_view name) override;
  Status CheckValues(const schema::Table& table, const types::RecordBatch& batch,
                     int64_t first_row) const override;
  bool has_transactions() const override { return true; }
  Status BeginTransaction() override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  Result<int64_t> DeleteStale(const schema::Table& table, std::string_view source_name,
                              int64_t sync_time_us) override;
  Status Close() override;

 private:
  // The one place libpq errors become a Status: "postgresql: <what>: <message>".
  Status Error(std::string_view what, const PGresult* res = nullptr) const;
  Status CheckOpen() const;
  Status Exec(const std::string& sql, std::string_view what);
  // `params` are text; nullopt is NULL.
  Result<PgResult> Query(const std::string& sql,
                         const std::vector<std::optional<std::string>>& params,
                         std::string_view what);
  void Rollback();

  std::string Qualified(std::string_view table) const {
    return Quote(schema_) + "." + Quote(table);
  }
  std::vector<std::string> KeyColumns(const schema::Table& table) const;
  std::vector<schema::ColumnDef> WantedColumns(const schema::Table& table) const;
  // The table's columns as the catalog has them; nullopt when there is no such table.
  Result<std::optional<std::vector<schema::ColumnDef>>> ExistingColumns(const std::string& table);
  Status CreateTable(const schema::Table& table);
  Status MigrateTable(const schema::Table& table, std::vector<std::string>* refused);

  Result<TableInfo*> InfoFor(const schema::Table& table);
  Status CheckWrite(const TableInfo& info, const std::vector<types::RecordBatchPtr>& batches,
                    int64_t* rows) const;
  Status WriteTable(TableInfo& info, const std::vector<types::RecordBatchPtr>& batches);
  // COPY … FROM STDIN (FORMAT binary) of every row of `batches` into `target` (a quoted name;
  // `relname` is its bare name as the server reports it in errors).
  Status CopyIn(TableInfo& info, const std::vector<types::RecordBatchPtr>& batches,
                const std::string& target, std::string_view relname);
  // Turns the error of a COPY into "table t: column c, row r: …" when the server says where.
  Status CopyError(const TableInfo& info, const PGresult* res, std::string_view relname) const;
  // Whether the last failed COPY failed on a unique key (SQLSTATE 23505).
  bool copy_unique_violation_ = false;

  std::string conninfo_;
  pg::Timeouts timeouts_;
  std::string schema_ = "public";
  plugin::BatchOptions batch_;
  WriteMode write_mode_ = WriteMode::kOverwriteDeleteStale;
  MigrateMode migrate_mode_ = MigrateMode::kSafe;
  PkMode pk_mode_ = PkMode::kDefault;
  Logger* logger_ = nullptr;
  std::unique_ptr<pg::Connection> conn_;
  int64_t stage_counter_ = 0;
  bool in_transaction_ = false;  // between BeginTransaction and Commit/RollbackTransaction
  CopyBuffer buffer_;
  std::map<std::string, std::unique_ptr<TableInfo>, std::less<>> infos_;
};

Status PostgresqlDestination::Configure(const nlohmann::json& spec) {
  plugin::SpecReader reader(spec);
  conninfo_ = reader.String("connection_string", "");
  schema_ = reader.String("schema", "public");
  batch_ = plugin::ReadBatchOptions(reader, plugin::BatchOptions{10'000, 100'000'000, 60'000'000});
  timeouts_ = pg::ReadTimeouts(reader);
  QUARRY_RETURN_NOT_OK(reader.Finish());
  if (conninfo_.empty()) {
    return Status::Invalid(
        "spec.connection_string: required (a libpq connection string, e.g. \"host=localhost "
        "user=postgres dbname=quarry\" or postgresql://user:password@host:5432/quarry)");
  }
  if (schema_.empty() || schema_.size() > kMaxIdentifier) {
    return Status::Invalid(fmt::format("spec.schema: must be a name of 1 to {} bytes, got \"{}\"",
                                       kMaxIdentifier, schema_));
  }
  return Status::OK();
}

Status PostgresqlDestination::Error(std::string_view what, const PGresult* res) const {
  StatusCode code;
  std::string msg = ResultMessage(conn_.get(), res, &code);
  return Status(code, fmt::format("postgresql: {}: {}", what, msg));
}

Status PostgresqlDestination::CheckOpen() const {
  if (conn_ == nullptr) return Status::Internal("postgresql: not initialized");
  return Status::OK();
}

Status PostgresqlDestination::Exec(const std::string& sql, std::string_view what) {
  PgResult res(conn_->Exec(sql));
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(what, res.get());
  return Status::OK();
}

Result<PgResult> PostgresqlDestination::Query(const std::string& sql,
                                              const std::vector<std::optional<std::string>>& params,
                                              std::string_view what) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  PgResult res(conn_->ExecParams(sql, static_cast<int>(params.size()), values.data(),
                                 lengths.data(), nullptr, 0));
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(what, res.get());
  return res;
}

void PostgresqlDestination::Rollback() {
  if (conn_ == nullptr) return;
  const PGTransactionStatusType ts = PQtransactionStatus(conn_->get());
  if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) PQclear(conn_->Exec("ROLLBACK"));
}

Status PostgresqlDestination::Init(const plugin::PluginContext& ctx,
                                   const plugin::DestinationOptions& options) {
  if (conninfo_.empty()) return Status::Internal("postgresql: Init before Configure");
  QUARRY_RETURN_NOT_OK(Close());
  logger_ = ctx.logger;
  write_mode_ = options.write_mode;
  migrate_mode_ = options.migrate_mode;
  pk_mode_ = options.pk_mode;
  QUARRY_ASSIGN_OR_RETURN(conn_, Connect(conninfo_, timeouts_, ""));
  return Status::OK();
}

Status PostgresqlDestination::Close() {
  in_transaction_ = false;  // closing the connection rolls it back
  infos_.clear();
  conn_.reset();
  return Status::OK();
}

std::vector<std::string> PostgresqlDestination::KeyColumns(const schema::Table& table) const {
  if (write_mode_ == WriteMode::kAppend) return {};
  if (pk_mode_ == PkMode::kCqIdOnly && table.ColumnIndex(schema::kCqId) >= 0) {
    return {std::string(schema::kCqId)};
  }
  return table.PrimaryKeys();
}

std::vector<schema::ColumnDef> PostgresqlDestination::WantedColumns(
    const schema::Table& table) const {
  const auto keys = KeyColumns(table);
  std::vector<schema::ColumnDef> defs;
  defs.reserve(table.columns.size());
  for (const auto& c : table.columns) {
    const bool key = std::find(keys.begin(), keys.end(), c.name) != keys.end();
    // Primary key columns are NOT NULL in PostgreSQL, and the catalog says so.
    defs.push_back({c.name, PgType(*c.type), c.not_null || key, key});
  }
  return defs;
}

Result<std::optional<std::vector<schema::ColumnDef>>> PostgresqlDestination::ExistingColumns(
    const std::string& table) {
  const std::string what = fmt::format("table {}: read columns from the catalog", table);
  QUARRY_ASSIGN_OR_RETURN(
      PgResult rel, Query("SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
                          "AND c.relkind IN ('r', 'p')",
                          {schema_, table}, what));
  if (PQntuples(rel.get()) == 0) return std::optional<std::vector<schema::ColumnDef>>();
  const std::string oid = PQgetvalue(rel.get(), 0, 0);
  QUARRY_ASSIGN_OR_RETURN(
      PgResult cols,
      Query("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "COALESCE(a.attnum = ANY (i.indkey), false) "
            "FROM pg_catalog.pg_attribute a "
            "LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
            "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            {oid}, what));
  std::vector<schema::ColumnDef> defs;
  for (int r = 0; r < PQntuples(cols.get()); ++r) {
    defs.push_back({PQgetvalue(cols.get(), r, 0), PQgetvalue(cols.get(), r, 1),
                    PQgetvalue(cols.get(), r, 2)[0] == 't',
                    PQgetvalue(cols.get(), r, 3)[0] == 't'});
  }
  return std::optional<std::vector<schema::ColumnDef>>(std::move(defs));
}

Status PostgresqlDestination::CreateTable(const schema::Table& table) {
  std::string sql = fmt::format("CREATE TABLE {} (", Qualified(table.name));
  const auto defs = WantedColumns(table);
  for (size_t i = 0; i < defs.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += fmt::format("{} {}{}", Quote(defs[i].name), defs[i].type,
                       defs[i].not_null ? " NOT NULL" : "");
  }
  const auto keys = KeyColumns(table);
  if (!keys.empty()) sql += fmt::format(", PRIMARY KEY ({})", QuoteList(keys));
  sql += ")";
  return Exec(sql, fmt::format("create table {}", table.name));
}

Status PostgresqlDestination::MigrateTable(const schema::Table& table,
                                           std::vector<std::string>* refused) {
  if (table.name.size() > kMaxIdentifier) {
    return Status::Invalid(fmt::format("table {}: the name is longer than PostgreSQL's {} bytes",
                                       table.name, kMaxIdentifier));
  }
  for (const auto& c : table.columns) {
    if (c.name.size() > kMaxIdentifier) {
      return Status::Invalid(
          fmt::format("table {}: column {}: the name is longer than "
                      "PostgreSQL's {} bytes",
                      table.name, c.name, kMaxIdentifier));
    }
  }
  QUARRY_ASSIGN_OR_RETURN(auto have, ExistingColumns(table.name));
  if (!have) return CreateTable(table);
  const auto changes = schema::DiffColumns(*have, WantedColumns(table));
  const bool unsafe =
      std::any_of(changes.begin(), changes.end(), [](const auto& c) { return !schema::IsSafe(c); });
  if (unsafe && migrate_mode_ == MigrateMode::kSafe) {
    std::string list;
    for (const auto& c : changes) {
      if (c.kind == schema::ChangeKind::kRemoveColumn) continue;
      if (!list.empty()) list += "; ";
      list += schema::Describe(c);
    }
    refused->push_back(fmt::format(
        "table {}: safe migration refused (use migrate_mode: forced): {}", table.name, list));
    return Status::OK();
  }
  if (unsafe) {
    if (logger_ != nullptr) {
      logger_->Warn("postgresql: dropping and recreating table (migrate_mode: forced)",
                    {{"table", table.name}, {"schema", schema_}});
    }
    QUARRY_RETURN_NOT_OK(
        Exec("DROP TABLE " + Qualified(table.name), fmt::format("drop table {}", table.name)));
    return CreateTable(table);
  }
  for (const auto& c : changes) {
    if (c.kind != schema::ChangeKind::kAddColumn) continue;
    QUARRY_RETURN_NOT_OK(Exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", Qualified(table.name),
                                          Quote(c.column), c.detail),
                              fmt::format("table {}: add column {}", table.name, c.column)));
  }
  return Status::OK();
}

Status PostgresqlDestination::Migrate(const std::vector<schema::TablePtr>& tables) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (tables.empty()) return Status::OK();
  QUARRY_RETURN_NOT_OK(Exec("BEGIN", "migrate: begin"));
  std::vector<std::string> refused;
  auto run = [&]() -> Status {
    // Two syncs migrating the same schema would both find a table missing and both create it.
    QUARRY_RETURN_NOT_OK(
        Query(fmt::format("SELECT pg_advisory_xact_lock({}, hashtext($1))", kMigrateLockClass),
              {schema_}, "migrate: lock")
            .status());
    QUARRY_ASSIGN_OR_RETURN(
        PgResult ns, Query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema_},
                           "migrate: read schemas"));
    if (PQntuples(ns.get()) == 0) {
      QUARRY_RETURN_NOT_OK(
          Exec("CREATE SCHEMA " + Quote(schema_), fmt::format("create schema {}", schema_)));
    }
    for (const auto& tp : tables) {
      infos_.erase(tp->name);
      QUARRY_RETURN_NOT_OK(MigrateTable(*tp, &refused));
    }
    return Status::OK();
  };
  Status st = run();
  if (st.ok() && !refused.empty()) {
    std::string msg;
    for (const auto& r : refused) msg += (msg.empty() ? "" : "\n") + r;
    st = Status::Invalid(std::move(msg));
  }
  if (st.ok()) st = Exec("COMMIT", "migrate: commit");
  if (!st.ok()) Rollback();
  return st;
}

Result<TableInfo*> PostgresqlDestination::InfoFor(const schema::Table& table) {
  auto it = infos_.find(table.name);
  if (it != infos_.end()) {
    const TableInfo& info = *it->second;
    bool same = info.names.size() == table.columns.size();
    for (size_t i = 0; same && i < table.columns.size(); ++i) {
      same =
          info.names[i] == table.columns[i].name && info.types[i]->Equals(*table.columns[i].type);
    }
    if (same) return it->second.get();
    infos_.erase(it);
  }
  if (table.columns.empty())
    return Status::Invalid(fmt::format("table {}: no columns", table.name));
  auto info = std::make_unique<TableInfo>();
  info->name = table.name;
  info->qualified = Qualified(table.name);
  info->keys = KeyColumns(table);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const auto& c = table.columns[i];
    info->names.push_back(c.name);
    info->types.push_back(c.type);
    const bool key = std::find(info->keys.begin(), info->keys.end(), c.name) != info->keys.end();
    if (c.not_null || key) info->required.push_back(static_cast<int>(i));
  }
  info->columns = QuoteList(info->names);
  if (!info->keys.empty()) {
    const std::string keys = QuoteList(info->keys);
    // DISTINCT ON keeps one row per key — the last one written (the staging table is filled by
    // one COPY, so ctid order is arrival order): ON CONFLICT may touch a row only once per
    // statement. Sorting by key also makes concurrent upserts take row locks in one order.
    info->upsert_select = fmt::format("INSERT INTO {} ({}) SELECT DISTINCT ON ({}) {} FROM ",
                                      info->qualified, info->columns, keys, info->columns);
    std::string set;
    for (const auto& n : info->names) {
      if (std::find(info->keys.begin(), info->keys.end(), n) != info->keys.end()) continue;
      if (!set.empty()) set += ", ";
      set += fmt::format("{0} = EXCLUDED.{0}", Quote(n));
    }
    info->upsert_tail = fmt::format(" ORDER BY {}, ctid DESC ON CONFLICT ({}) DO {}", keys, keys,
                                    set.empty() ? std::string("NOTHING") : "UPDATE SET " + set);
  }
  TableInfo* raw = info.get();
  infos_[table.name] = std::move(info);
  return raw;
}

Status PostgresqlDestination::CheckWrite(const TableInfo& info,
                                         const std::vector<types::RecordBatchPtr>& batches,
                                         int64_t* out_rows) const {
  int64_t rows = 0;
  for (const auto& b : batches) {
    if (b->num_columns() != static_cast<int>(info.names.size())) {
      return Status::Internal(fmt::format("table {}: a batch has {} columns, the table {}",
                                          info.name, b->num_columns(), info.names.size()));
    }
    // Checked here so that the error names the column and row (the server would name the
    // staging table).
    for (int c : info.required) {
      const types::Array& a = b->column(c);
      if (a.null_count() == 0) continue;
      for (int64_t i = 0; i < a.length(); ++i) {
        if (a.IsNull(i)) {
          return Status::Invalid(
              fmt::format("table {}: column {}, row {}: NOT NULL constraint failed", info.name,
                          info.names[static_cast<size_t>(c)], rows + i));
        }
      }
    }
    rows += b->num_rows();
  }
  *out_rows = rows;
  return Status::OK();
}

Status PostgresqlDestination::Write(const schema::Table& table,
                                    const std::vector<types::RecordBatchPtr>& batches) {
  return WriteAll({{&table, &batches}});
}

Status PostgresqlDestination::WriteAll(const std::vector<plugin::TableWrite>& writes) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  std::vector<std::pair<TableInfo*, int64_t>> plan;
  int64_t all_rows = 0;
  for (const auto& w : writes) {
    QUARRY_ASSIGN_OR_RETURN(TableInfo * info, InfoFor(*w.table));
    int64_t rows = 0;
    QUARRY_RETURN_NOT_OK(CheckWrite(*info, *w.batches, &rows));
    plan.emplace_back(info, rows);
    all_rows += rows;
  }
  if (all_rows == 0) return Status::OK();
  const std::string what =
      writes.size() == 1 ? fmt::format("table {}", writes[0].table->name) : "write";
  // One transaction for every table: rows and the cursor rows that cover them land together.
  // Inside an open transaction the rows join it instead.
  const bool own = !in_transaction_;
  if (own) QUARRY_RETURN_NOT_OK(Exec("BEGIN", what + ": begin"));
  Status st;
  for (size_t i = 0; st.ok() && i < writes.size(); ++i) {
    if (plan[i].second > 0) st = WriteTable(*plan[i].first, *writes[i].batches);
  }
  if (st.ok() && own) st = Exec("COMMIT", what + ": commit");
  if (!st.ok()) {
    Rollback();
    in_transaction_ = false;
  }
  return st;
}

Status PostgresqlDestination::CheckValues(const schema::Table& table,
                                          const types::RecordBatch& batch,
                                          int64_t first_row) const {
  CopyBuffer scratch;
  for (int c = 0; c < batch.num_columns(); ++c) {
    const types::Array& a = batch.column(c);
    if (!MayBeUnfit(a)) continue;
    const TypeId id = a.type()->id();
    if (id == TypeId::kTimestamp || id == TypeId::kDate32) {
      // The common case, every value inside the range, in one tight pass.
      bool inside = true;
      const uint8_t* values = a.values_buffer()->data();
      for (int64_t i = 0; i < a.length(); ++i) {
        if (id == TypeId::kTimestamp) {
          // Only the low end can be passed: every int64 is below the end of PostgreSQL's range
          // once the epochs are aligned.
          static_assert(INT64_MAX - kPgEpochMicros < kPgEndTimestamp);
          inside &= Load<int64_t>(values, i) >= kPgMinTimestamp + kPgEpochMicros;
        } else {
          const int64_t v = int64_t{Load<int32_t>(values, i)} - kPgEpochDays;
          inside &= v >= kPgMinDate && v < kPgEndDate;
        }
      }
      if (inside) continue;
    }
    for (int64_t i = 0; i < a.length(); ++i) {
      if (a.IsNull(i)) continue;
      scratch.Clear();
      if (const Unfit why = PutValue(scratch, a, id, i); why != Unfit::kNone) {
        return Status::Invalid(fmt::format("column {}, row {}: {}", batch.schema()->field(c).name,
                                           first_row + i, UnfitMessage(why, a, i)));
      }
    }
  }
  return Status::OK();
}

Status PostgresqlDestination::BeginTransaction() {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  if (in_transaction_) return Status::Internal("postgresql: transaction already open");
  QUARRY_RETURN_NOT_OK(Exec("BEGIN", "begin"));
  in_transaction_ = true;
  return Status::OK();
}

Status PostgresqlDestination::CommitTransaction() {
  if (!in_transaction_) return Status::Internal("postgresql: no open transaction");
  in_transaction_ = false;
  Status st = Exec("COMMIT", "commit");
  if (!st.ok()) Rollback();
  return st;
}

void PostgresqlDestination::RollbackTransaction() {
  Rollback();
  in_transaction_ = false;
}

Status PostgresqlDestination::WriteTable(TableInfo& info,
                                         const std::vector<types::RecordBatchPtr>& batches) {
  if (info.keys.empty()) return CopyIn(info, batches, info.qualified, info.name);
  // Rows to upsert are often all new (a first sync, the new rows of an incremental one): try the
  // bulk path itself, a COPY into the table under a savepoint. A key that exists stops it at
  // that row; then the batch goes through staging. After one conflict the table goes straight
  // to staging for the rest of the session.
  if (!info.had_conflict) {
    const std::string what = fmt::format("table {}: copy", info.name);
    QUARRY_RETURN_NOT_OK(Exec("SAVEPOINT quarry_direct", what));
    copy_unique_violation_ = false;
    Status direct = CopyIn(info, batches, info.qualified, info.name);
    if (direct.ok()) return Exec("RELEASE SAVEPOINT quarry_direct", what);
    if (!copy_unique_violation_) return direct;
    info.had_conflict = true;
    QUARRY_RETURN_NOT_OK(Exec("ROLLBACK TO SAVEPOINT quarry_direct", what));
  }
  const std::string stage_name = fmt::format("quarry_stage_{}", ++stage_counter_);
  const std::string stage = "pg_temp." + Quote(stage_name);
  QUARRY_RETURN_NOT_OK(
      Exec(fmt::format("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP", stage,
                       info.qualified),
           fmt::format("table {}: create staging table", info.name)));
  QUARRY_RETURN_NOT_OK(CopyIn(info, batches, stage, stage_name));
  return Exec(info.upsert_select + stage + info.upsert_tail,
              fmt::format("table {}: upsert", info.name));
}

Status PostgresqlDestination::CopyIn(TableInfo& info,
                                     const std::vector<types::RecordBatchPtr>& batches,
                                     const std::string& target, std::string_view relname) {
  const std::string what = fmt::format("table {}: copy", info.name);
  {
    PgResult res(
        conn_->Exec(fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", target, info.columns)));
    if (PQresultStatus(res.get()) != PGRES_COPY_IN) return Error(what, res.get());
  }
  CopyBuffer& b = buffer_;
  b.Clear();
  uint8_t* h = b.Grow(19);
  std::memcpy(h, kCopyHeader, 11);
  Put32(h + 11, 0);  // flags
  Put32(h + 15, 0);  // header extension length

  const int ncols = static_cast<int>(info.names.size());
  std::vector<TypeId> ids(static_cast<size_t>(ncols));
  for (int c = 0; c < ncols; ++c)
    ids[static_cast<size_t>(c)] = info.types[static_cast<size_t>(c)]->id();
  std::vector<const uint8_t*> valid(static_cast<size_t>(ncols));

  bool sent = true;  // false once libpq refused data (the server has already failed)
  Status bad_value;  // a value we could not encode
  int64_t row = 0;
  for (const auto& batch : batches) {
    for (int c = 0; c < ncols; ++c) {
      const types::Array& a = batch->column(c);
      valid[static_cast<size_t>(c)] = a.null_count() > 0 && a.validity_buffer() != nullptr
                                          ? a.validity_buffer()->data()
                                          : nullptr;
    }
    const int64_t n = batch->num_rows();
    for (int64_t i = 0; i < n && sent && bad_value.ok(); ++i, ++row) {
      Put16(b.Grow(2), static_cast<uint16_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        const uint8_t* v = valid[static_cast<size_t>(c)];
        if (v != nullptr && !Bit(v, i)) {
          PutNull(b);
        } else if (const Unfit why = PutValue(b, batch->column(c), ids[static_cast<size_t>(c)], i);
                   why != Unfit::kNone) {
          bad_value = Status::Invalid(fmt::format("table {}: column {}, row {}: {}", info.name,
                                                  info.names[static_cast<size_t>(c)], row,
                                                  UnfitMessage(why, batch->column(c), i)));
          break;
        }
      }
      if (b.size() >= kCopyChunk) {
        sent = conn_->PutCopyData(b.data(), static_cast<int>(b.size())) == 1;
        b.Clear();
      }
    }
    if (!sent || !bad_value.ok()) break;
  }
  if (sent && bad_value.ok()) {
    Put16(b.Grow(2), 0xFFFF);  // trailer
    sent = conn_->PutCopyData(b.data(), static_cast<int>(b.size())) == 1;
  }
  b.Clear();
  // Ending with an error message makes the server abandon the COPY.
  const int end = conn_->PutCopyEnd(bad_value.ok() ? nullptr : "quarry: invalid value");
  Status st;
  PgResult res(conn_->GetResult());
  if (end != 1 && res == nullptr) {
    st = Error(what);
  } else if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    const char* sqlstate = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    copy_unique_violation_ = sqlstate != nullptr && std::strcmp(sqlstate, "23505") == 0;
    st = CopyError(info, res.get(), relname);
  }
  // Drain: the COPY's results end with a null.
  for (PGresult* r; (r = conn_->GetResult()) != nullptr;) PQclear(r);
  if (!bad_value.ok()) return bad_value;
  return st;
}

Status PostgresqlDestination::CopyError(const TableInfo& info, const PGresult* res,
                                        std::string_view relname) const {
  Status err = Error(fmt::format("table {}: copy", info.name), res);
  const char* context = res != nullptr ? PQresultErrorField(res, PG_DIAG_CONTEXT) : nullptr;
  if (context == nullptr) return err;
  // Binary COPY says "COPY <relname>, line <n>, column <name>" (or no column), n counting rows
  // from 1; other context lines (e.g. of a trigger) may come before it.
  const std::string prefix = fmt::format("COPY {}, line ", relname);
  std::string_view ctx(context);
  size_t at = 0;
  for (size_t pos = 0; pos <= ctx.size();) {
    const size_t eol = std::min(ctx.find('\n', pos), ctx.size());
    if (ctx.substr(pos, eol - pos).starts_with(prefix)) {
      at = pos + prefix.size();
      ctx = ctx.substr(0, eol);
      break;
    }
    pos = eol + 1;
  }
  if (at == 0) return err;
  int64_t line = 0;
  const auto r = std::from_chars(ctx.data() + at, ctx.data() + ctx.size(), line);
  if (r.ec != std::errc() || line < 1) return err;
  std::string_view rest(r.ptr, static_cast<size_t>(ctx.data() + ctx.size() - r.ptr));
  StatusCode code;
  const std::string msg = ResultMessage(conn_.get(), res, &code);
  if (rest.starts_with(", column ")) {
    rest.remove_prefix(9);
    return Status(code,
                  fmt::format("table {}: column {}, row {}: {}", info.name, rest, line - 1, msg));
  }
  return Status(code, fmt::format("table {}: row {}: {}", info.name, line - 1, msg));
}

// The server's ISO text of a date ("2026-11-25", "10000-01-01", "0044-03-15 BC") or, with
// `with_time`, of a timestamp ("2026-11-25 16:46:29.123456", "0044-03-15 12:00:00 BC"): days
// since 1970-01-01 (proleptic Gregorian, 44 BC being year -43) and microseconds into the day.
// False for any other text.
bool ParsePgDateTime(std::string_view v, bool with_time, int64_t* days, int64_t* micros) {
  const bool bc = v.ends_with(" BC");
  if (bc) v.remove_suffix(3);
  int64_t y = 0, mo = 0, d = 0;
  // 5874897 is the largest year PostgreSQL keeps.
  if (!TakeNumber(v, 4, 7, &y) || !TakeChar(v, '-') || !TakeNumber(v, 2, 2, &mo) ||
      !TakeChar(v, '-') || !TakeNumber(v, 2, 2, &d) || y > 5'874'897 || mo < 1 || mo > 12 ||
      d < 1 || d > 31) {
    return false;
  }
  if (bc) y = 1 - y;
  *days = DaysFromCivil(static_cast<int>(y), static_cast<unsigned>(mo), static_cast<unsigned>(d));
  *micros = 0;
  if (with_time) {
    int64_t h = 0, mi = 0, sec = 0, frac = 0;
    if (!TakeChar(v, ' ') || !TakeNumber(v, 2, 2, &h) || !TakeChar(v, ':') ||
        !TakeNumber(v, 2, 2, &mi) || !TakeChar(v, ':') || !TakeNumber(v, 2, 2, &sec) || h > 23 ||
        mi > 59 || sec > 59) {
      return false;
    }
    if (TakeChar(v, '.')) {
      const size_t before = v.size();
      if (!TakeNumber(v, 1, 6, &frac)) return false;
      for (size_t n = before - v.size(); n < 6; ++n) frac *= 10;
    }
    *micros = ((h * 60 + mi) * 60 + sec) * 1'000'000 + frac;
  }
  return v.empty();
}

// Text output of the server -> one value of the column's type.
bool AppendText(types::ArrayBuilder& b, std::string_view v) {
  auto integer = [&](auto lo, auto hi, auto tag) {
    using T = decltype(tag);
    long long x = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || x < static_cast<long long>(lo) ||
        x > static_cast<long long>(hi)) {
      return false;
    }
    b.Append<T>(static_cast<T>(x));
    return true;
  };
  switch (b.type()->id()) {
    case TypeId::kUtf8:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
      b.AppendBytes(v);
      return true;
    case TypeId::kBinary: {
      // bytea_output = hex: "\x0a1b…"
      if (!v.starts_with("\\x") || v.size() % 2 != 0) return false;
      std::string bytes;
      for (size_t i = 2; i < v.size(); i += 2) {
        const int hi = HexValue(v[i]);
        const int lo = HexValue(v[i + 1]);
        if (hi < 0 || lo < 0) return false;
        bytes.push_back(static_cast<char>(hi * 16 + lo));
      }
      b.AppendBytes(bytes);
      return true;
    }
    case TypeId::kBool:
      if (v != "t" && v != "f") return false;
      b.AppendBool(v == "t");
      return true;
    case TypeId::kInt8:
      return integer(INT8_MIN, INT8_MAX, int8_t{});
    case TypeId::kInt16:
      return integer(INT16_MIN, INT16_MAX, int16_t{});
    case TypeId::kInt32:
      return integer(INT32_MIN, INT32_MAX, int32_t{});
    case TypeId::kInt64:
      return integer(INT64_MIN, INT64_MAX, int64_t{});
    case TypeId::kUint8:
      return integer(0, UINT8_MAX, uint8_t{});
    case TypeId::kUint16:
      return integer(0, UINT16_MAX, uint16_t{});
    case TypeId::kUint32:
      return integer(0, UINT32_MAX, uint32_t{});
    case TypeId::kUint64: {
      uint64_t x = 0;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return false;
      b.Append<uint64_t>(x);
      return true;
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      // strtof/strtod read NaN, Infinity, -Infinity and -0 as the server writes them; a real is
      // read as a float, so that its shortest text is not rounded twice.
      const std::string s(v);
      char* end = nullptr;
      errno = 0;
      if (b.type()->id() == TypeId::kFloat32) {
        const float f = std::strtof(s.c_str(), &end);
        if (s.empty() || *end != '\0') return false;
        b.Append<float>(f);
      } else {
        const double d = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return false;
        b.Append<double>(d);
      }
      return true;
    }
    case TypeId::kTimestamp: {
      int64_t days = 0, micros = 0, us = 0;
      // PostgreSQL keeps timestamps up to 294276 AD; int64 microseconds end in 294247.
      if (!ParsePgDateTime(v, /*with_time=*/true, &days, &micros) ||
          __builtin_mul_overflow(days, int64_t{86'400'000'000}, &us) ||
          __builtin_add_overflow(us, micros, &us)) {
        return false;
      }
      b.Append<int64_t>(us);
      return true;
    }
    case TypeId::kDate32: {
      int64_t days = 0, micros = 0;
      if (!ParsePgDateTime(v, /*with_time=*/false, &days, &micros)) return false;
      b.Append<int32_t>(static_cast<int32_t>(days));  // PostgreSQL's dates all fit
      return true;
    }
    case TypeId::kUuid: {
      uint8_t u[16];
      if (!types::ParseUuid(v, u).ok()) return false;
      b.AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      return true;
    }
    case TypeId::kList:
      return types::AppendJsonText(b, v).ok();
  }
  return false;
}

Status PostgresqlDestination::Read(const schema::Table& table,
                                   const std::function<Status(types::RecordBatchPtr)>& fn) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  QUARRY_ASSIGN_OR_RETURN(auto existing, ExistingColumns(table.name));
  if (!existing) return Status::OK();
  std::vector<std::string> names;
  std::string select;  // lists come back as JSON arrays, which every element type can parse
  for (const auto& c : table.columns) {
    names.push_back(c.name);
    if (!select.empty()) select += ", ";
    select += c.type->id() == TypeId::kList ? fmt::format("to_json({})::text", Quote(c.name))
                                            : Quote(c.name);
  }
  const std::string what = fmt::format("table {}: read", table.name);
  // A cursor keeps memory bounded by one FETCH, whatever the table's size.
  QUARRY_RETURN_NOT_OK(Exec("BEGIN READ ONLY", what));
  auto run = [&]() -> Status {
    QUARRY_RETURN_NOT_OK(
        Exec(fmt::format("DECLARE quarry_read NO SCROLL CURSOR FOR SELECT {} FROM {}", select,
                         Qualified(table.name)),
             what));
    types::RecordBatchBuilder builder(table.arrow_schema);
    int64_t row = 0;
    const std::string fetch = fmt::format("FETCH FORWARD {} FROM quarry_read", kReadRows);
    while (true) {
      PgResult res(conn_->Exec(fetch));
      if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return Error(what, res.get());
      const int n = PQntuples(res.get());
      if (n == 0) break;
      for (int r = 0; r < n; ++r, ++row) {
        for (int c = 0; c < static_cast<int>(names.size()); ++c) {
          types::ArrayBuilder& b = builder.column(c);
          if (PQgetisnull(res.get(), r, c)) {
            b.AppendNull();
            continue;
          }
          const std::string_view v(PQgetvalue(res.get(), r, c),
                                   static_cast<size_t>(PQgetlength(res.get(), r, c)));
          if (!AppendText(b, v)) {
            return Status::Invalid(
                fmt::format("table {}: column {}, row {}: cannot read \"{}\" as {}", table.name,
                            names[static_cast<size_t>(c)], row, v, b.type()->ToString()));
          }
        }
      }
      QUARRY_ASSIGN_OR_RETURN(types::RecordBatchPtr batch, builder.Finish());
      QUARRY_RETURN_NOT_OK(fn(std::move(batch)));
    }
    return Exec("COMMIT", what);
  };
  Status st = run();
  if (!st.ok()) Rollback();
  return st;
}

Result<std::unique_ptr<plugin::SyncLock>> PostgresqlDestination::TryLock(std::string_view name) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  // A connection of its own: the lock lives exactly as long as the SyncLock, whatever happens to
  // this destination's connection.
  QUARRY_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> conn,
                          Connect(conninfo_, timeouts_, "lock: "));
  auto fail = [&](std::string_view what, const PGresult* res) {
    StatusCode code;
    const std::string msg = ResultMessage(conn.get(), res, &code);
    return Status(StatusCode::kIOError, fmt::format("postgresql: {}: {}", what, msg));
  };
  const std::string key(name);
  const char* values[] = {key.c_str()};
  PgResult res(conn->ExecParams("SELECT pg_try_advisory_lock(" QUARRY_PG_LOCK_KEY_SQL ")", 1,
                                values, nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return fail("lock", res.get());
  if (PQgetvalue(res.get(), 0, 0)[0] == 't') {
    return std::unique_ptr<plugin::SyncLock>(std::make_unique<AdvisoryLock>(std::move(conn)));
  }
  // Who holds it: pg_locks splits the bigint key into classid (high half) and objid.
  PgResult who(conn->ExecParams(
      "SELECT l.pid, COALESCE(a.application_name, ''), COALESCE(host(a.client_addr), 'local') "
      "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
      "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
      "current_database()) "
      "AND ((l.classid::bigint << 32) | l.objid::bigint) = " QUARRY_PG_LOCK_KEY_SQL " LIMIT 1",
      1, values, nullptr, nullptr, 0));
  std::string holder = "another session";
  if (PQresultStatus(who.get()) == PGRES_TUPLES_OK && PQntuples(who.get()) > 0) {
    holder = fmt::format("server process {} (application \"{}\", client {})",
                         PQgetvalue(who.get(), 0, 0), PQgetvalue(who.get(), 0, 1),
                         PQgetvalue(who.get(), 0, 2));
  }
  return Status::IOError(fmt::format(
      "another sync of the same source is writing to this destination (PostgreSQL advisory "
      "lock \"{}\" is held by {}); wait for it to finish",
      name, holder));
}

Result<int64_t> PostgresqlDestination::DeleteStale(const schema::Table& table,
                                                   std::string_view source_name,
                                                   int64_t sync_time_us) {
  QUARRY_RETURN_NOT_OK(CheckOpen());
  const std::string what = fmt::format("table {}: delete stale rows", table.name);
  // One statement in autocommit mode: its own transaction.
  QUARRY_ASSIGN_OR_RETURN(
      PgResult res,
      Query(fmt::format("DELETE FROM {} WHERE {} = $1 AND {} < $2", Qualified(table.name),
                        Quote(schema::kCqSourceName), Quote(schema::kCqSyncTime)),
            {std::string(source_name), FormatTimestampMicros(sync_time_us)}, what));
  return static_cast<int64_t>(std::strtoll(PQcmdTuples(res.get()), nullptr, 10));
}

}  // namespace

std::unique_ptr<plugin::DestinationPlugin> NewPostgresqlDestination() {
  return std::make_unique<PostgresqlDestination>();
}

}  // namespace quarry::plugins
