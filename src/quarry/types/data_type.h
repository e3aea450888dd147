// Data types of Quarry's columnar core. They follow the Apache Arrow type system: the memory
// layout of each type is Arrow's, so Arrow IPC encoding is a copy of buffers. `uuid`, `json`,
// `inet` and `mac` are CloudQuery's extension types (uuid on fixed_size_binary(16), the others on
// binary).
//
// DataType is immutable and shared as `TypePtr`; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "quarry/base/status.h"

namespace quarry::types {

enum class TypeId : uint8_t {
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kFloat32,
  kFloat64,
  kUtf8,
  kBinary,
  kTimestamp,  // int64 microseconds since the epoch, UTC
  kDate32,     // int32 days since the epoch
  kUuid,       // extension on fixed_size_binary(16)
  kJson,       // extension on binary (holds JSON text)
  kInet,       // extension on binary (holds text such as "10.0.0.1/32")
  kMac,        // extension on binary (holds text such as "08:00:2b:01:02:03")
  kList,       // list<T> with int32 offsets
};

// How values sit in memory (Arrow physical layouts).
enum class Layout : uint8_t {
  kBitmap,       // bool: one bit per value
  kFixedWidth,   // ints, floats, timestamp, date32
  kVarBinary,    // int32 offsets + data: utf8, binary, json, inet, mac
  kFixedBinary,  // uuid: 16 bytes per value
  kList,         // int32 offsets + child array
};

class DataType;
using TypePtr = std::shared_ptr<const DataType>;

class DataType {
 public:
  DataType(TypeId id, TypePtr value_type) : id_(id), value_type_(std::move(value_type)) {}

  TypeId id() const { return id_; }
  Layout layout() const;
  // Bytes per value for kFixedWidth and kFixedBinary; 0 otherwise.
  int byte_width() const;
  // REQUIRES: id() == kList
  const TypePtr& value_type() const { return value_type_; }

  bool is_integer() const { return id_ >= TypeId::kInt8 && id_ <= TypeId::kUint64; }
  bool is_signed_integer() const { return id_ >= TypeId::kInt8 && id_ <= TypeId::kInt64; }
  bool is_floating() const { return id_ == TypeId::kFloat32 || id_ == TypeId::kFloat64; }

  bool Equals(const DataType& other) const;
  // "int64", "utf8", "timestamp[us, tz=UTC]", "list<int64>", "uuid", … (Arrow's spelling).
  std::string ToString() const;

 private:
  TypeId id_;
  TypePtr value_type_;
};

TypePtr boolean();
TypePtr int8();
TypePtr int16();
TypePtr int32();
TypePtr int64();
TypePtr uint8();
TypePtr uint16();
TypePtr uint32();
TypePtr uint64();
TypePtr float32();
TypePtr float64();
TypePtr utf8();
TypePtr binary();
TypePtr timestamp();
TypePtr date32();
TypePtr uuid();
TypePtr json();
TypePtr inet();
TypePtr mac();
TypePtr list(TypePtr value_type);

// Parses the spelling that ToString() produces (also "string", "bool", "timestamp").
Result<TypePtr> ParseType(std::string_view text);

}  // namespace quarry::types
