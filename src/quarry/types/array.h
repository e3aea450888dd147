// Array: an immutable column of values of one DataType, in Arrow's memory layout:
//   validity bitmap (LSB first; absent when there are no nulls),
//   kBitmap / kFixedWidth / kFixedBinary: one values buffer,
//   kVarBinary: int32 offsets (length + 1) and a data buffer,
//   kList: int32 offsets (length + 1) and a child Array.
//
// Immutable after construction; thread-safe. Shared as std::shared_ptr<const Array>.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "quarry/types/buffer.h"
#include "quarry/types/data_type.h"

namespace quarry::types {

class Array;
using ArrayPtr = std::shared_ptr<const Array>;

class Array {
 public:
  Array(TypePtr type, int64_t length, int64_t null_count, BufferPtr validity, BufferPtr values,
        BufferPtr data, ArrayPtr child);

  const TypePtr& type() const { return type_; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }

  bool IsNull(int64_t i) const {
    return validity_ != nullptr && ((validity_->data()[i >> 3] >> (i & 7)) & 1) == 0;
  }
  bool IsValid(int64_t i) const { return !IsNull(i); }

  // REQUIRES: layout kFixedWidth and sizeof(T) == byte_width().
  template <typename T>
  T Value(int64_t i) const {
    T v;
    std::memcpy(&v, values_->data() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return v;
  }
  // REQUIRES: layout kBitmap.
  bool BoolValue(int64_t i) const { return (values_->data()[i >> 3] >> (i & 7)) & 1; }
  // REQUIRES: layout kVarBinary or kFixedBinary.
  std::string_view GetView(int64_t i) const;
  // REQUIRES: layout kList. The values of element i are child()[list_offset(i), list_offset(i+1)).
  int32_t list_offset(int64_t i) const { return Value32(values_, i); }
  const Array& child() const { return *child_; }

  // Bytes held by the buffers (for batch size limits).
  int64_t size_bytes() const;

  // Raw buffers for encoders (may be null).
  const BufferPtr& validity_buffer() const { return validity_; }
  const BufferPtr& values_buffer() const { return values_; }  // offsets for var/list layouts
  const BufferPtr& data_buffer() const { return data_; }
  const ArrayPtr& child_ptr() const { return child_; }

 private:
  static int32_t Value32(const BufferPtr& b, int64_t i) {
    int32_t v;
    std::memcpy(&v, b->data() + i * 4, 4);
    return v;
  }

  TypePtr type_;
  int64_t length_;
  int64_t null_count_;
  BufferPtr validity_;
  BufferPtr values_;
  BufferPtr data_;
  ArrayPtr child_;
};

// The value at row i as JSON text (strings quoted and escaped, null as `null`, timestamps and
// dates as FormatRfc3339 / FormatDate strings — years outside 0000-9999 in the expanded form
// "+10000-01-01T00:00:00.000000Z" —, floats as their shortest exact text with NaN, +/-infinity
// as the strings "NaN", "Infinity", "-Infinity" and -0.0 as `-0.0`, uuids as canonical text,
// json values inlined, binary as base64). AppendJsonText reads them back.
std::string ValueToJson(const Array& array, int64_t i);
void AppendValueJson(const Array& array, int64_t i, std::string* out);
// `s` as a JSON string: quoted, with `"`, `\` and control characters escaped.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace quarry::types
