#include "quarry/types/builder.h"

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
    case Layout::kBitmap: AppendBit(&values_, length_, false); break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary: values_.AppendZeros(width_); break;
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

Result<ArrayPtr> ArrayBuilder::Finish() {
  int64_t expected = 0;
  switch (layout_) {
    case Layout::kBitmap: expected = (length_ + 7) / 8; break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary: expected = length_ * width_; break;
    case Layout::kVarBinary:
    case Layout::kList: expected = (length_ + 1) * 4; break;
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
