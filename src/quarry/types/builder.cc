#include "quarry/types/builder.h"

#include <cstring>

namespace quarry::types {

ArrayBuilder::ArrayBuilder(TypePtr type)
    : type_(std::move(type)), layout_(type_->layout()), width_(type_->byte_width()) {
  if (layout_ == Layout::kList) child_ = std::make_unique<ArrayBuilder>(type_->value_type());
  Reset();
}

void ArrayBuilder::Reset() {
  length_ = 0;
  null_count_ = 0;
  // Offsets start with a leading zero.
  if (layout_ == Layout::kVarBinary || layout_ == Layout::kList) values_.AppendValue<int32_t>(0);
}

int64_t ArrayBuilder::size_bytes() const {
  int64_t n = validity_.size() + values_.size() + data_.size();
  if (child_) n += child_->size_bytes();
  return n;
}

void ArrayBuilder::AppendNull() {
  switch (layout_) {
    case Layout::kBitmap:
      AppendBit(&values_, length_, false);
      break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary:
      values_.AppendZeros(width_);
      break;
    case Layout::kVarBinary:
      values_.AppendValue<int32_t>(static_cast<int32_t>(data_.size()));
      break;
    case Layout::kList:
      values_.AppendValue<int32_t>(static_cast<int32_t>(child_->length()));
      break;
  }
  AppendBit(&validity_, length_, false);
  ++length_;
  ++null_count_;
}

void ArrayBuilder::Truncate(int64_t length) {
  if (length >= length_) return;
  auto clear_tail = [length](BufferBuilder* b) {
    b->Truncate((length + 7) / 8);
    if ((length & 7) != 0) {
      b->mutable_data()[length >> 3] &= static_cast<uint8_t>((1u << (length & 7)) - 1);
    }
  };
  int64_t nulls = 0;
  for (int64_t i = length; i < length_; ++i) {
    if (((validity_.data()[i >> 3] >> (i & 7)) & 1) == 0) ++nulls;
  }
  switch (layout_) {
    case Layout::kBitmap:
      clear_tail(&values_);
      break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary:
      values_.Truncate(length * width_);
      break;
    case Layout::kVarBinary:
    case Layout::kList: {
      int32_t end;
      std::memcpy(&end, values_.data() + length * 4, 4);
      values_.Truncate((length + 1) * 4);
      if (layout_ == Layout::kVarBinary) {
        data_.Truncate(end);
      } else {
        child_->Truncate(end);
      }
      break;
    }
  }
  clear_tail(&validity_);
  null_count_ -= nulls;
  length_ = length;
}

Result<ArrayPtr> ArrayBuilder::Finish() {
  int64_t expected = 0;
  switch (layout_) {
    case Layout::kBitmap:
      expected = (length_ + 7) / 8;
      break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary:
      expected = length_ * width_;
      break;
    case Layout::kVarBinary:
    case Layout::kList:
      expected = (length_ + 1) * 4;
      break;
  }
  if (values_.size() != expected) {
    return Status::Internal("builder for " + type_->ToString() +
                            ": a value was appended with the wrong width");
  }
  ArrayPtr child;
  if (child_) {
    QUARRY_ASSIGN_OR_RETURN(child, child_->Finish());
  }
  BufferPtr data;
  if (layout_ == Layout::kVarBinary) data = data_.Finish();
  auto validity = validity_.Finish();
  auto values = values_.Finish();
  auto array = std::make_shared<const Array>(type_, length_, null_count_, std::move(validity),
                                             std::move(values), std::move(data), std::move(child));
  Reset();
  return ArrayPtr(std::move(array));
}

}  // namespace quarry::types
