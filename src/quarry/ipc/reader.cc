// Decoding: Arrow IPC stream bytes (untrusted) into Quarry's schemas and record batches.
#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <limits>
#include <memory>

#include "quarry/ipc/format_internal.h"
#include "quarry/ipc/ipc.h"

namespace quarry::ipc {

using types::Array;
using types::ArrayPtr;
using types::Buffer;
using types::BufferPtr;
using types::TypePtr;

namespace {

using internal::kContinuation;
using internal::kExtMetadata;
using internal::kExtName;
using internal::kZeroOffset;

// Deepest field nesting the decoder accepts (list<list<…>>).
constexpr int kMaxDepth = 32;
// Columns of the Null type carry no buffers, so nothing in the input bounds their length.
constexpr int64_t kMaxNullColumnRows = 1 << 20;

// How a column's bytes on the wire become a Quarry array.
enum class WireKind : uint8_t {
  kNull,           // no buffers; becomes utf8, all null
  kBool,           // bitmap
  kFixed,          // same width on the wire and in Quarry
  kTimestamp,      // int64 in `scale` units → microseconds
  kDate64,         // int64 milliseconds → int32 days
  kVarBinary32,    // int32 offsets
  kVarBinary64,    // int64 offsets → int32
  kMac,            // raw hardware address bytes (int32 or int64 offsets) → "08:00:2b:01:02:03"
  kFixedBinary,    // fixed_size_binary(16) as uuid
  kFixedToBinary,  // fixed_size_binary(n) as binary
  kList32,
  kList64,
};

struct WireField {
  WireKind kind = WireKind::kFixed;
  TypePtr type;        // the Quarry type it becomes
  int width = 0;       // bytes per value on the wire (fixed kinds)
  int64_t ts_mul = 1;  // timestamp: microseconds = value * ts_mul / ts_div
  int64_t ts_div = 1;
  std::string name;
  std::vector<WireField> children;
};

std::string StringOf(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->string_view());
}

types::Metadata DecodeMetadata(const flatbuffers::Vector<flatbuffers::Offset<fb::KeyValue>>* kvs) {
  types::Metadata md;
  if (kvs == nullptr) return md;
  for (const auto* kv : *kvs) {
    if (kv == nullptr) continue;
    md[StringOf(kv->key())] = StringOf(kv->value());
  }
  return md;
}

const char* TypeName(fb::Type t) {
  const char* n = fb::EnumNameType(t);
  return (n == nullptr || *n == '\0') ? "unknown" : n;
}

Status Unsupported(const std::string& path, std::string_view what) {
  return Status::Invalid(fmt::format("column {}: unsupported Arrow type {}", path, what));
}

Result<WireField> ParseField(const fb::Field* f, const std::string& parent, int depth,
                             types::Field* out) {
  if (f == nullptr) return Status::Invalid(fmt::format("column {}: missing field", parent));
  WireField w;
  w.name = StringOf(f->name());
  const std::string path = parent.empty() ? w.name : parent + "." + w.name;
  if (depth > kMaxDepth) return Status::Invalid(fmt::format("column {}: nested too deep", path));
  if (f->dictionary() != nullptr) {
    return Status::Invalid(
        fmt::format("column {}: dictionary-encoded columns are not supported", path));
  }
  types::Metadata md = DecodeMetadata(f->custom_metadata());
  std::string ext;
  if (auto it = md.find(std::string(kExtName)); it != md.end()) ext = it->second;
  md.erase(std::string(kExtName));
  md.erase(std::string(kExtMetadata));
  const fb::Type tt = f->type_type();
  switch (tt) {
    case fb::Type_Null:
      w.kind = WireKind::kNull;
      w.type = types::utf8();
      break;
    case fb::Type_Bool:
      w.kind = WireKind::kBool;
      w.type = types::boolean();
      break;
    case fb::Type_Int: {
      const auto* t = f->type_as_Int();
      if (t == nullptr) return Unsupported(path, "int without parameters");
      const bool s = t->is_signed();
      switch (t->bit_width()) {
        case 8:
          w.type = s ? types::int8() : types::uint8();
          break;
        case 16:
          w.type = s ? types::int16() : types::uint16();
          break;
        case 32:
          w.type = s ? types::int32() : types::uint32();
          break;
        case 64:
          w.type = s ? types::int64() : types::uint64();
          break;
        default:
          return Unsupported(path, fmt::format("int{}", t->bit_width()));
      }
      w.kind = WireKind::kFixed;
      w.width = t->bit_width() / 8;
      break;
    }
    case fb::Type_FloatingPoint: {
      const auto* t = f->type_as_FloatingPoint();
      if (t == nullptr || t->precision() == fb::Precision_HALF) return Unsupported(path, "float16");
      w.kind = WireKind::kFixed;
      w.type = t->precision() == fb::Precision_SINGLE ? types::float32() : types::float64();
      w.width = t->precision() == fb::Precision_SINGLE ? 4 : 8;
      break;
    }
    case fb::Type_Utf8:
    case fb::Type_Binary:
    case fb::Type_LargeUtf8:
    case fb::Type_LargeBinary: {
      const bool large = tt == fb::Type_LargeUtf8 || tt == fb::Type_LargeBinary;
      w.kind = large ? WireKind::kVarBinary64 : WireKind::kVarBinary32;
      const bool text = tt == fb::Type_Utf8 || tt == fb::Type_LargeUtf8;
      if (ext == "json" || ext == "arrow.json") {
        w.type = types::json();
      } else if (ext == "inet") {
        w.type = types::inet();
      } else if (ext == "mac") {
        // CloudQuery stores hardware addresses as raw bytes; old plugins sent text.
        w.type = types::mac();
        if (!text) {
          w.kind = WireKind::kMac;
          w.width = large ? 8 : 4;
        }
      } else {
        w.type = text ? types::utf8() : types::binary();
      }
      break;
    }
    case fb::Type_FixedSizeBinary: {
      const auto* t = f->type_as_FixedSizeBinary();
      const int bw = t == nullptr ? 0 : t->byte_width();
      // Width 0 would let a row count that no buffer bounds drive the offsets allocation.
      if (bw <= 0 || bw > (1 << 20))
        return Unsupported(path, fmt::format("fixed_size_binary({})", bw));
      w.width = bw;
      if (bw == 16 && (ext == "uuid" || ext == "arrow.uuid")) {
        w.kind = WireKind::kFixedBinary;
        w.type = types::uuid();
      } else {
        w.kind = WireKind::kFixedToBinary;
        w.type = types::binary();
      }
      break;
    }
    case fb::Type_Timestamp: {
      const auto* t = f->type_as_Timestamp();
      const fb::TimeUnit unit = t == nullptr ? fb::TimeUnit_SECOND : t->unit();
      w.kind = WireKind::kTimestamp;
      w.type = types::timestamp();
      w.width = 8;
      switch (unit) {
        case fb::TimeUnit_SECOND:
          w.ts_mul = 1'000'000;
          break;
        case fb::TimeUnit_MILLISECOND:
          w.ts_mul = 1'000;
          break;
        case fb::TimeUnit_MICROSECOND:
          break;
        case fb::TimeUnit_NANOSECOND:
          w.ts_div = 1'000;
          break;
      }
      break;
    }
    case fb::Type_Date: {
      const auto* t = f->type_as_Date();
      const bool days = t != nullptr && t->unit() == fb::DateUnit_DAY;
      w.kind = days ? WireKind::kFixed : WireKind::kDate64;
      w.type = types::date32();
      w.width = days ? 4 : 8;
      break;
    }
    case fb::Type_List:
    case fb::Type_LargeList: {
      w.kind = tt == fb::Type_List ? WireKind::kList32 : WireKind::kList64;
      if (f->children() == nullptr || f->children()->size() != 1) {
        return Status::Invalid(
            fmt::format("column {}: a list needs exactly one child field", path));
      }
      types::Field child;
      QUARRY_ASSIGN_OR_RETURN(WireField cw,
                              ParseField(f->children()->Get(0), path, depth + 1, &child));
      w.type = types::list(child.type);
      w.children.push_back(std::move(cw));
      break;
    }
    default:
      return Unsupported(path, TypeName(tt));
  }
  out->name = w.name;
  out->type = w.type;
  out->nullable = f->nullable();
  out->metadata = std::move(md);
  return w;
}

struct DecodedSchema {
  types::SchemaPtr schema;
  std::vector<WireField> wire;
};

Result<DecodedSchema> ParseSchema(const fb::Schema* s) {
  if (s == nullptr) return Status::Invalid("schema message without a schema");
  if (s->endianness() != fb::Endianness_Little) {
    return Status::Invalid("big-endian Arrow data is not supported");
  }
  DecodedSchema out;
  std::vector<types::Field> fields;
  if (s->fields() != nullptr) {
    fields.reserve(s->fields()->size());
    for (const auto* f : *s->fields()) {
      types::Field field;
      QUARRY_ASSIGN_OR_RETURN(WireField w, ParseField(f, "", 0, &field));
      out.wire.push_back(std::move(w));
      fields.push_back(std::move(field));
    }
  }
  out.schema = std::make_shared<const types::Schema>(std::move(fields),
                                                     DecodeMetadata(s->custom_metadata()));
  return out;
}

BufferPtr CopyBuffer(const uint8_t* data, int64_t size) {
  auto* p = static_cast<uint8_t*>(std::malloc(static_cast<size_t>(size > 0 ? size : 1)));
  if (p == nullptr) std::abort();  // out of memory
  if (size > 0) std::memcpy(p, data, static_cast<size_t>(size));
  return std::make_shared<const Buffer>(p, size);
}

// Allocates a zeroed buffer of `size` bytes.
uint8_t* NewBytes(int64_t size) {
  auto* p = static_cast<uint8_t*>(std::calloc(static_cast<size_t>(size > 0 ? size : 1), 1));
  if (p == nullptr) std::abort();
  return p;
}

// Walks the nodes and buffers of one record batch, checking each against the body.
class BatchDecoder {
 public:
  BatchDecoder(const fb::RecordBatch* rb, std::string_view body) : rb_(rb), body_(body) {}

  Result<ArrayPtr> Decode(const WireField& w, const std::string& path) {
    const auto* nodes = rb_->nodes();
    if (nodes == nullptr || node_ >= nodes->size()) {
      return Status::Invalid(fmt::format("column {}: record batch has too few field nodes", path));
    }
    // Copied out: a hostile buffer may misalign the struct vector, and the verifier of this
    // flatbuffers version does not check element alignment.
    fb::FieldNode node_copy;
    std::memcpy(&node_copy, nodes->Data() + sizeof(fb::FieldNode) * node_++, sizeof(fb::FieldNode));
    const fb::FieldNode* node = &node_copy;
    const int64_t n = node->length();
    if (n < 0 || n > std::numeric_limits<int32_t>::max() - 1) {
      return Status::Invalid(fmt::format("column {}: invalid length {}", path, n));
    }
    if (node->null_count() < 0 || node->null_count() > n) {
      return Status::Invalid(
          fmt::format("column {}: invalid null count {}", path, node->null_count()));
    }
    if (w.kind == WireKind::kNull) return DecodeNull(w, n, path);

    std::string_view validity;
    QUARRY_ASSIGN_OR_RETURN(validity, NextBuffer(path));
    BufferPtr valid;
    int64_t nulls = 0;
    if (node->null_count() > 0) {
      if (static_cast<int64_t>(validity.size()) < (n + 7) / 8) {
        return Status::Invalid(fmt::format("column {}: validity bitmap too short", path));
      }
      valid = CopyBuffer(reinterpret_cast<const uint8_t*>(validity.data()), (n + 7) / 8);
      nulls = n - CountSetBits(valid->data(), n);
    }
    switch (w.kind) {
      case WireKind::kBool: {
        QUARRY_ASSIGN_OR_RETURN(auto values, NextBuffer(path, (n + 7) / 8));
        return Make(w.type, n, nulls, valid, Copy(values, (n + 7) / 8), nullptr, nullptr);
      }
      case WireKind::kFixed:
      case WireKind::kFixedBinary: {
        QUARRY_ASSIGN_OR_RETURN(auto values, NextBuffer(path, n * w.width));
        return Make(w.type, n, nulls, valid, Copy(values, n * w.width), nullptr, nullptr);
      }
      case WireKind::kTimestamp:
      case WireKind::kDate64:
        return DecodeTime(w, n, nulls, valid, path);
      case WireKind::kFixedToBinary: {
        QUARRY_ASSIGN_OR_RETURN(auto values, NextBuffer(path, n * w.width));
        auto* offsets = reinterpret_cast<int32_t*>(NewBytes((n + 1) * 4));
        if (n * w.width > std::numeric_limits<int32_t>::max()) {
          std::free(offsets);
          return Status::Invalid(fmt::format("column {}: binary data over 2 GiB", path));
        }
        for (int64_t i = 0; i <= n; ++i) offsets[i] = static_cast<int32_t>(i * w.width);
        auto off = std::make_shared<const Buffer>(reinterpret_cast<uint8_t*>(offsets), (n + 1) * 4);
        return Make(w.type, n, nulls, valid, off, Copy(values, n * w.width), nullptr);
      }
      case WireKind::kVarBinary32:
      case WireKind::kVarBinary64: {
        const bool wide = w.kind == WireKind::kVarBinary64;
        int64_t first = 0, last = 0;
        QUARRY_ASSIGN_OR_RETURN(BufferPtr off, Offsets(n, wide, path, &first, &last));
        QUARRY_ASSIGN_OR_RETURN(auto data, NextBuffer(path));
        if (last > static_cast<int64_t>(data.size())) {
          return Status::Invalid(fmt::format("column {}: offsets point past the data", path));
        }
        return Make(w.type, n, nulls, valid, off,
                    CopyBuffer(reinterpret_cast<const uint8_t*>(data.data()) + first, last - first),
                    nullptr);
      }
      case WireKind::kMac: {
        int64_t first = 0, last = 0;
        QUARRY_ASSIGN_OR_RETURN(BufferPtr off, Offsets(n, w.width == 8, path, &first, &last));
        QUARRY_ASSIGN_OR_RETURN(auto data, NextBuffer(path));
        if (last > static_cast<int64_t>(data.size())) {
          return Status::Invalid(fmt::format("column {}: offsets point past the data", path));
        }
        // Every byte becomes "xx:" (three characters); bounded by the data present.
        static constexpr char kHex[] = "0123456789abcdef";
        types::BufferBuilder text_offsets, text;
        text_offsets.AppendValue<int32_t>(0);
        const auto* o = reinterpret_cast<const int32_t*>(off->data());
        const auto* d = reinterpret_cast<const uint8_t*>(data.data()) + first;
        if ((last - first) * 3 > std::numeric_limits<int32_t>::max()) {
          return Status::Invalid(fmt::format("column {}: mac data too large", path));
        }
        for (int64_t i = 0; i < n; ++i) {
          for (int32_t k = o[i]; k < o[i + 1]; ++k) {
            if (k > o[i]) text.AppendValue<char>(':');
            text.AppendValue<char>(kHex[d[k] >> 4]);
            text.AppendValue<char>(kHex[d[k] & 15]);
          }
          text_offsets.AppendValue<int32_t>(static_cast<int32_t>(text.size()));
        }
        return Make(w.type, n, nulls, valid, text_offsets.Finish(), text.Finish(), nullptr);
      }
      case WireKind::kList32:
      case WireKind::kList64: {
        const bool wide = w.kind == WireKind::kList64;
        int64_t first = 0, last = 0;
        // List offsets are kept as they are (not rebased): they index the child array.
        QUARRY_ASSIGN_OR_RETURN(BufferPtr off, Offsets(n, wide, path, &first, &last, false));
        QUARRY_ASSIGN_OR_RETURN(ArrayPtr child, Decode(w.children[0], path + ".item"));
        if (last > child->length()) {
          return Status::Invalid(
              fmt::format("column {}: list offsets point past the values", path));
        }
        return Make(w.type, n, nulls, valid, off, nullptr, child);
      }
      case WireKind::kNull:
        break;
    }
    return Status::Internal("unreachable");
  }

 private:
  static int64_t CountSetBits(const uint8_t* bits, int64_t n) {
    int64_t count = 0;
    const int64_t whole = n / 8;
    for (int64_t i = 0; i < whole; ++i) count += std::popcount(static_cast<unsigned>(bits[i]));
    for (int64_t i = whole * 8; i < n; ++i) count += (bits[i >> 3] >> (i & 7)) & 1;
    return count;
  }

  static ArrayPtr Make(TypePtr type, int64_t n, int64_t nulls, BufferPtr valid, BufferPtr values,
                       BufferPtr data, ArrayPtr child) {
    return std::make_shared<const Array>(std::move(type), n, nulls, std::move(valid),
                                         std::move(values), std::move(data), std::move(child));
  }

  static BufferPtr Copy(std::string_view bytes, int64_t size) {
    return CopyBuffer(reinterpret_cast<const uint8_t*>(bytes.data()), size);
  }

  // The next buffer of the body; at least `min_size` bytes.
  Result<std::string_view> NextBuffer(const std::string& path, int64_t min_size = 0) {
    const auto* buffers = rb_->buffers();
    if (buffers == nullptr || buffer_ >= buffers->size()) {
      return Status::Invalid(fmt::format("column {}: record batch has too few buffers", path));
    }
    fb::Buffer copy;
    std::memcpy(&copy, buffers->Data() + sizeof(fb::Buffer) * buffer_++, sizeof(fb::Buffer));
    const fb::Buffer* b = &copy;
    const int64_t off = b->offset(), len = b->length();
    const auto body = static_cast<int64_t>(body_.size());
    if (off < 0 || len < 0 || off > body || len > body - off) {
      return Status::Invalid(
          fmt::format("column {}: buffer [{}, +{}) lies outside the {}-byte message body", path,
                      off, len, body));
    }
    if (len < min_size) {
      return Status::Invalid(
          fmt::format("column {}: buffer of {} bytes, {} needed", path, len, min_size));
    }
    return body_.substr(static_cast<size_t>(off), static_cast<size_t>(len));
  }

  // Reads and checks n+1 offsets (int32 or int64), returns them as int32, rebased to start at
  // zero unless `rebase` is false. `first`/`last` get the original first and last offsets.
  Result<BufferPtr> Offsets(int64_t n, bool wide, const std::string& path, int64_t* first,
                            int64_t* last, bool rebase = true) {
    const int w = wide ? 8 : 4;
    QUARRY_ASSIGN_OR_RETURN(auto raw, NextBuffer(path));
    if (n == 0 && raw.empty()) {  // an empty array may omit its offsets
      *first = *last = 0;
      return CopyBuffer(kZeroOffset, 4);
    }
    if (static_cast<int64_t>(raw.size()) < (n + 1) * w) {
      return Status::Invalid(fmt::format("column {}: offsets buffer of {} bytes, {} needed", path,
                                         raw.size(), (n + 1) * w));
    }
    auto read = [&](int64_t i) -> int64_t {
      if (wide) {
        int64_t v;
        std::memcpy(&v, raw.data() + i * 8, 8);
        return v;
      }
      int32_t v;
      std::memcpy(&v, raw.data() + i * 4, 4);
      return v;
    };
    *first = read(0);
    *last = read(n);
    const int64_t base = rebase ? *first : 0;
    if (*first < 0 || *last < *first || *last - base > std::numeric_limits<int32_t>::max()) {
      return Status::Invalid(fmt::format("column {}: invalid offsets", path));
    }
    auto* out = reinterpret_cast<int32_t*>(NewBytes((n + 1) * 4));
    int64_t prev = *first;
    for (int64_t i = 0; i <= n; ++i) {
      const int64_t v = read(i);
      if (v < prev || v > *last) {
        std::free(out);
        return Status::Invalid(
            v < prev ? fmt::format("column {}: offsets decrease at row {} ({} after {})", path, i,
                                   v, prev)
                     : fmt::format("column {}: offset {} at row {} is past the last offset {}",
                                   path, v, i, *last));
      }
      out[i] = static_cast<int32_t>(v - base);
      prev = v;
    }
    return BufferPtr(std::make_shared<const Buffer>(reinterpret_cast<uint8_t*>(out), (n + 1) * 4));
  }

  Result<ArrayPtr> DecodeTime(const WireField& w, int64_t n, int64_t nulls, const BufferPtr& valid,
                              const std::string& path) {
    QUARRY_ASSIGN_OR_RETURN(auto raw, NextBuffer(path, n * 8));
    const bool date = w.kind == WireKind::kDate64;
    const int out_width = date ? 4 : 8;
    uint8_t* out = NewBytes(n * out_width);
    auto fail = [&](int64_t i, int64_t v) {
      std::free(out);
      return Status::Invalid(fmt::format("column {}: row {}: value {} out of range", path, i, v));
    };
    for (int64_t i = 0; i < n; ++i) {
      if (valid && ((valid->data()[i >> 3] >> (i & 7)) & 1) == 0) continue;  // stays 0
      int64_t v;
      std::memcpy(&v, raw.data() + i * 8, 8);
      if (date) {
        int64_t days = v / 86'400'000;
        if (v % 86'400'000 < 0) --days;  // floor
        if (days < std::numeric_limits<int32_t>::min() ||
            days > std::numeric_limits<int32_t>::max()) {
          return fail(i, v);
        }
        const auto d = static_cast<int32_t>(days);
        std::memcpy(out + i * 4, &d, 4);
      } else {
        int64_t us;
        if (w.ts_div > 1) {
          us = v / w.ts_div;
          if (v % w.ts_div < 0) --us;
        } else if (__builtin_mul_overflow(v, w.ts_mul, &us)) {
          return fail(i, v);
        }
        std::memcpy(out + i * 8, &us, 8);
      }
    }
    auto values = std::make_shared<const Buffer>(out, n * out_width);
    return Make(w.type, n, nulls, valid, values, nullptr, nullptr);
  }

  Result<ArrayPtr> DecodeNull(const WireField& w, int64_t n, const std::string& path) {
    if (n > kMaxNullColumnRows) {
      return Status::Invalid(
          fmt::format("column {}: {} rows of type null (at most {})", path, n, kMaxNullColumnRows));
    }
    auto valid = std::make_shared<const Buffer>(NewBytes((n + 7) / 8), (n + 7) / 8);
    auto off = std::make_shared<const Buffer>(NewBytes((n + 1) * 4), (n + 1) * 4);
    return Make(w.type, n, n, valid, off, CopyBuffer(nullptr, 0), nullptr);
  }

  const fb::RecordBatch* rb_;
  std::string_view body_;
  flatbuffers::uoffset_t node_ = 0;
  flatbuffers::uoffset_t buffer_ = 0;
};

// One message of a stream: its verified metadata and its body.
struct RawMessage {
  const fb::Message* message = nullptr;
  std::string_view body;
  std::unique_ptr<uint64_t[]> aligned;  // a copy of the metadata when the input was misaligned
};

class MessageReader {
 public:
  explicit MessageReader(std::string_view bytes) : bytes_(bytes) {}

  // The next message, or null at the end of the stream.
  Result<std::unique_ptr<RawMessage>> Next() {
    if (done_) return std::unique_ptr<RawMessage>();
    const size_t remaining = bytes_.size() - pos_;
    if (remaining == 0) {  // no end-of-stream marker: tolerated
      done_ = true;
      return std::unique_ptr<RawMessage>();
    }
    if (remaining < 4) return Error("truncated message header");
    uint32_t first;
    std::memcpy(&first, bytes_.data() + pos_, 4);
    pos_ += 4;
    int32_t len;
    if (first == kContinuation) {
      if (bytes_.size() - pos_ < 4) return Error("truncated message header");
      std::memcpy(&len, bytes_.data() + pos_, 4);
      pos_ += 4;
    } else {
      len = static_cast<int32_t>(first);  // the pre-0.15 framing without the marker
    }
    if (len == 0) {
      done_ = true;
      if (pos_ != bytes_.size()) return Error("bytes after the end-of-stream marker");
      return std::unique_ptr<RawMessage>();
    }
    if (len < 0 || static_cast<size_t>(len) > bytes_.size() - pos_) {
      return Error(
          fmt::format("metadata length {} exceeds the {} bytes left", len, bytes_.size() - pos_));
    }
    auto raw = std::make_unique<RawMessage>();
    const char* meta = bytes_.data() + pos_;
    if (reinterpret_cast<uintptr_t>(meta) % 8 != 0) {
      raw->aligned.reset(new uint64_t[(static_cast<size_t>(len) + 7) / 8]);
      std::memcpy(raw->aligned.get(), meta, static_cast<size_t>(len));
      meta = reinterpret_cast<const char*>(raw->aligned.get());
    }
    flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(meta), static_cast<size_t>(len),
                                   64, 100'000);
    if (!fb::VerifyMessageBuffer(verifier)) return Error("malformed message metadata");
    raw->message = fb::GetMessage(meta);
    pos_ += static_cast<size_t>(len);
    const int64_t body_len = raw->message->body_length();
    if (body_len < 0 || static_cast<uint64_t>(body_len) > bytes_.size() - pos_) {
      return Error(
          fmt::format("body length {} exceeds the {} bytes left", body_len, bytes_.size() - pos_));
    }
    if (raw->message->version() < fb::MetadataVersion_V4) {
      return Error("metadata versions before V4 are not supported");
    }
    raw->body = bytes_.substr(pos_, static_cast<size_t>(body_len));
    pos_ += static_cast<size_t>(body_len);
    ++index_;
    return raw;
  }

  int index() const { return index_; }

 private:
  Status Error(std::string what) const {
    return Status::Invalid(fmt::format("message {} at byte {}: {}", index_ + 1, pos_, what));
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  int index_ = 0;
  bool done_ = false;
};

Result<types::RecordBatchPtr> DecodeBatch(const DecodedSchema& s, const RawMessage& raw) {
  const fb::RecordBatch* rb = raw.message->header_as_RecordBatch();
  if (rb == nullptr) return Status::Invalid("record batch message without a record batch");
  if (rb->compression() != nullptr) {
    return Status::Invalid("compressed record batches are not supported");
  }
  const int64_t rows = rb->length();
  if (rows < 0) return Status::Invalid(fmt::format("invalid row count {}", rows));
  BatchDecoder dec(rb, raw.body);
  std::vector<ArrayPtr> columns;
  columns.reserve(s.wire.size());
  for (const auto& w : s.wire) {
    QUARRY_ASSIGN_OR_RETURN(ArrayPtr a, dec.Decode(w, w.name));
    if (a->length() != rows) {
      return Status::Invalid(
          fmt::format("column {}: {} rows in a batch of {}", w.name, a->length(), rows));
    }
    columns.push_back(std::move(a));
  }
  return types::RecordBatch::Make(s.schema, rows, std::move(columns));
}

// Reads the schema message that opens every stream.
Result<DecodedSchema> ReadSchemaMessage(MessageReader& reader) {
  QUARRY_ASSIGN_OR_RETURN(auto first, reader.Next());
  if (!first) return Status::Invalid("empty stream: no schema message");
  if (first->message->header_type() != fb::MessageHeader_Schema) {
    return Status::Invalid("the stream does not start with a schema message");
  }
  return ParseSchema(first->message->header_as_Schema());
}

Status WithPrefix(const Status& st) { return st.WithContext("arrow ipc"); }

}  // namespace

Result<DecodedStream> DecodeStream(std::string_view bytes) {
  MessageReader reader(bytes);
  auto s = ReadSchemaMessage(reader);
  if (!s.ok()) return WithPrefix(s.status());
  DecodedStream out;
  out.schema = s->schema;
  while (true) {
    auto next = reader.Next();
    if (!next.ok()) return WithPrefix(next.status());
    if (!*next) break;
    const RawMessage& raw = **next;
    if (raw.message->header_type() != fb::MessageHeader_RecordBatch) {
      return WithPrefix(
          Status::Invalid(fmt::format("message {}: {} messages are not supported", reader.index(),
                                      fb::EnumNameMessageHeader(raw.message->header_type()))));
    }
    auto batch = DecodeBatch(*s, raw);
    if (!batch.ok()) {
      return WithPrefix(
          batch.status().WithContext(fmt::format("record batch {}", out.batches.size() + 1)));
    }
    out.batches.push_back(batch.MoveValue());
  }
  return out;
}

Result<types::SchemaPtr> DecodeSchema(std::string_view bytes) {
  MessageReader reader(bytes);
  auto s = ReadSchemaMessage(reader);
  if (!s.ok()) return WithPrefix(s.status());
  return s->schema;
}

Result<types::RecordBatchPtr> DecodeRecord(std::string_view bytes) {
  QUARRY_ASSIGN_OR_RETURN(DecodedStream s, DecodeStream(bytes));
  if (s.batches.size() != 1) {
    return Status::Invalid(
        fmt::format("arrow ipc: a record must hold exactly one record batch, this one has {}",
                    s.batches.size()));
  }
  return std::move(s.batches[0]);
}

}  // namespace quarry::ipc
