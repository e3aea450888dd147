// ArrayBuilder: appends values of one DataType and finishes into an immutable Array.
//
// The append methods are typed and unchecked on the hot path: call the one matching the type's
// layout (AppendBool for bool, Append<T> for fixed-width values with T of the type's width,
// AppendBytes for var-binary and uuid, list elements through child() + FinishList()).
// Finish() checks the shape and returns the first problem it finds.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "quarry/types/array.h"
#include "quarry/types/buffer.h"
#include "quarry/types/data_type.h"

namespace quarry::types {

class ArrayBuilder {
 public:
  explicit ArrayBuilder(TypePtr type);
  ArrayBuilder(const ArrayBuilder&) = delete;
  ArrayBuilder& operator=(const ArrayBuilder&) = delete;

  const TypePtr& type() const { return type_; }
  int64_t length() const { return length_; }
  // Bytes appended so far (approximate memory of the finished Array).
  int64_t size_bytes() const;

  void AppendNull();
  void AppendBool(bool v) {
    AppendBit(&values_, length_, v);
    MarkValid();
  }
  template <typename T>
  void Append(T v) {
    values_.AppendValue<T>(v);
    MarkValid();
  }
  void AppendBytes(std::string_view v) {
    if (layout_ == Layout::kVarBinary) {
      data_.Append(v.data(), static_cast<int64_t>(v.size()));
      values_.AppendValue<int32_t>(static_cast<int32_t>(data_.size()));
    } else {  // kFixedBinary: caller passes exactly byte_width bytes
      values_.Append(v.data(), width_);
    }
    MarkValid();
  }
  // For list builders: append the element's values to child(), then call FinishList().
  ArrayBuilder& child() { return *child_; }
  void FinishList() {
    values_.AppendValue<int32_t>(static_cast<int32_t>(child_->length()));
    MarkValid();
  }

  // Drops the values after the first `length` (to undo a partly appended row).
  // REQUIRES: length <= this->length().
  void Truncate(int64_t length);

  // Returns the Array and leaves the builder empty and reusable.
  Result<ArrayPtr> Finish();

 private:
  static void AppendBit(BufferBuilder* b, int64_t index, bool v) {
    if ((index & 7) == 0) b->AppendValue<uint8_t>(0);
    if (v) b->mutable_data()[index >> 3] |= static_cast<uint8_t>(1u << (index & 7));
  }
  void MarkValid() {
    AppendBit(&validity_, length_, true);
    ++length_;
  }
  void Reset();

  TypePtr type_;
  Layout layout_;
  int width_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  BufferBuilder validity_;
  BufferBuilder values_;  // values, bits, or offsets
  BufferBuilder data_;    // var-binary bytes
  std::unique_ptr<ArrayBuilder> child_;
};

}  // namespace quarry::types
