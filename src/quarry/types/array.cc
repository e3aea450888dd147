#include "quarry/types/array.h"

#include <fmt/format.h>

#include <cmath>

#include "quarry/base/time.h"
#include "quarry/base/uuid.h"

namespace quarry::types {

Array::Array(TypePtr type, int64_t length, int64_t null_count, BufferPtr validity, BufferPtr values,
             BufferPtr data, ArrayPtr child)
    : type_(std::move(type)),
      length_(length),
      null_count_(null_count),
      validity_(null_count > 0 ? std::move(validity) : nullptr),
      values_(std::move(values)),
      data_(std::move(data)),
      child_(std::move(child)) {}

std::string_view Array::GetView(int64_t i) const {
  if (type_->layout() == Layout::kFixedBinary) {
    const int w = type_->byte_width();
    return {reinterpret_cast<const char*>(values_->data()) + i * w, static_cast<size_t>(w)};
  }
  const int32_t begin = Value32(values_, i);
  const int32_t end = Value32(values_, i + 1);
  return {reinterpret_cast<const char*>(data_->data()) + begin, static_cast<size_t>(end - begin)};
}

int64_t Array::size_bytes() const {
  int64_t n = 0;
  for (const auto* b : {&validity_, &values_, &data_}) {
    if (*b) n += (*b)->size();
  }
  if (child_) n += child_->size_bytes();
  return n;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append(fmt::format("\\u{:04x}", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

namespace {

void AppendBase64(std::string_view s, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out->push_back(kAlphabet[(v >> k) & 63]);
  }
  if (i + 1 == s.size()) {
    const uint32_t v = uint8_t(s[i]) << 16;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->append("==");
  } else if (i + 2 == s.size()) {
    const uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back('=');
  }
}

// JSON has no NaN or infinity, and most readers take `-0` for the integer 0: those are written
// as the strings "NaN", "Infinity" and "-Infinity" (as PostgreSQL's to_json and the protobuf
// JSON mapping write them) and as `-0.0`. Other values have their shortest text that reads back
// as the same float.
template <typename T>
void AppendFloatJson(T v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (v == 0 && std::signbit(v)) {
    out->append("-0.0");
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", v);
  }
}

}  // namespace

void AppendValueJson(const Array& a, int64_t i, std::string* out) {
  if (a.IsNull(i)) {
    out->append("null");
    return;
  }
  switch (a.type()->id()) {
    case TypeId::kBool:
      out->append(a.BoolValue(i) ? "true" : "false");
      break;
    case TypeId::kInt8:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<int8_t>(i));
      break;
    case TypeId::kInt16:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<int16_t>(i));
      break;
    case TypeId::kInt32:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<int32_t>(i));
      break;
    case TypeId::kInt64:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<int64_t>(i));
      break;
    case TypeId::kUint8:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<uint8_t>(i));
      break;
    case TypeId::kUint16:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<uint16_t>(i));
      break;
    case TypeId::kUint32:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<uint32_t>(i));
      break;
    case TypeId::kUint64:
      fmt::format_to(std::back_inserter(*out), "{}", a.Value<uint64_t>(i));
      break;
    case TypeId::kFloat32:
      AppendFloatJson(a.Value<float>(i), out);
      break;
    case TypeId::kFloat64:
      AppendFloatJson(a.Value<double>(i), out);
      break;
    case TypeId::kUtf8:
    case TypeId::kInet:
    case TypeId::kMac:
      AppendJsonString(a.GetView(i), out);
      break;
    case TypeId::kJson:
      out->append(a.GetView(i));
      break;
    case TypeId::kBinary:
      out->push_back('"');
      AppendBase64(a.GetView(i), out);
      out->push_back('"');
      break;
    case TypeId::kTimestamp:
      AppendJsonString(FormatRfc3339(a.Value<int64_t>(i)), out);
      break;
    case TypeId::kDate32:
      AppendJsonString(FormatDate(a.Value<int32_t>(i)), out);
      break;
    case TypeId::kUuid: {
      char buf[36];
      FormatUuid(reinterpret_cast<const uint8_t*>(a.GetView(i).data()), buf);
      AppendJsonString(std::string_view(buf, 36), out);
      break;
    }
    case TypeId::kList: {
      out->push_back('[');
      for (int32_t k = a.list_offset(i); k < a.list_offset(i + 1); ++k) {
        if (k != a.list_offset(i)) out->push_back(',');
        AppendValueJson(a.child(), k, out);
      }
      out->push_back(']');
      break;
    }
  }
}

std::string ValueToJson(const Array& array, int64_t i) {
  std::string s;
  AppendValueJson(array, i, &s);
  return s;
}

}  // namespace quarry::types
