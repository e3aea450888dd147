#include "quarry/types/json.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

#include "quarry/base/time.h"

namespace quarry::types {
namespace {

using Json = nlohmann::json;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends an integer JSON value that fits T; false (nothing appended) for any other value: a
// value is never wrapped.
template <typename T>
bool AppendInteger(ArrayBuilder& b, const Json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    b.Append<T>(static_cast<T>(u));
  } else if (v.is_number_integer()) {
    const auto i = v.get<int64_t>();
    if (!std::in_range<T>(i)) return false;
    b.Append<T>(static_cast<T>(i));
  } else {
    return false;
  }
  return true;
}

// The float32 a number read as the nearest double stands for. Text -> double -> float rounds
// twice, which goes wrong only when the double lands exactly halfway between two floats: then the
// float whose own shortest text reads as that double is the one the text meant (of all 2^32
// floats, only +/-7.038531e-26 needs this).
float ToFloat32(double d) {
  const float f = static_cast<float>(d);
  if (!std::isfinite(f) || static_cast<double>(f) == d) return f;
  const float other = std::nextafter(f, static_cast<double>(f) < d ? HUGE_VALF : -HUGE_VALF);
  if ((static_cast<double>(f) + static_cast<double>(other)) / 2 != d) return f;
  for (const float candidate : {f, other}) {
    char text[32];
    const auto r = fmt::format_to_n(text, sizeof text - 1, "{}", candidate);
    text[r.size] = '\0';
    if (std::strtod(text, nullptr) == d) return candidate;
  }
  return f;
}

// Appends a float as AppendValueJson writes it: a number, or "NaN", "Infinity", "-Infinity";
// false (nothing appended) for any other value.
template <typename T>
bool AppendFloat(ArrayBuilder& b, const Json& v) {
  double d = 0;
  if (v.is_number_float()) {
    d = v.get<double>();
  } else if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() == 0) {
    d = -0.0;  // the parser reads `-0` as a signed integer (and `0` as an unsigned one)
  } else if (v.is_number()) {
    d = v.get<double>();
  } else if (v.is_string() && v.get_ref<const std::string&>() == "NaN") {
    d = std::numeric_limits<double>::quiet_NaN();
  } else if (v.is_string() && v.get_ref<const std::string&>() == "Infinity") {
    d = std::numeric_limits<double>::infinity();
  } else if (v.is_string() && v.get_ref<const std::string&>() == "-Infinity") {
    d = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  if constexpr (std::is_same_v<T, float>) {
    const float f = ToFloat32(d);
    if (std::isfinite(d) && !std::isfinite(f)) return false;  // beyond a float's range
    b.Append<float>(f);
  } else {
    b.Append<double>(d);
  }
  return true;
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Binary as ValueToJson writes it, padded base64 ("YWI="), or as PostgreSQL's to_json writes
// bytea, "\x" and hex digits ("\x6162"). False for any other text.
bool DecodeBinary(std::string_view text, std::string* out) {
  if (text.starts_with("\\x")) {
    if (text.size() % 2 != 0) return false;
    for (size_t i = 2; i < text.size(); i += 2) {
      const int hi = HexDigit(text[i]);
      const int lo = HexDigit(text[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
    }
    return true;
  }
  if (text.size() % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return false;  // "xx=y"
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int d = k >= 4 - pad ? 0 : Base64Digit(text[i + k]);
      if (d < 0) return false;
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out->push_back(static_cast<char>(v >> 16));
    if (pad < 2) out->push_back(static_cast<char>(v >> 8 & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(v & 0xff));
  }
  return true;
}

// `base64_binary`: binary values are text as ValueToJson writes it (DecodeBinary), rather than
// the plain string of bytes BatchFromJson takes.
Status AppendJson(ArrayBuilder& b, const Json& v, bool base64_binary) {
  if (v.is_null()) {
    b.AppendNull();
    return Status::OK();
  }
  const TypeId id = b.type()->id();
  auto need = [&](bool ok) {
    return ok ? Status::OK()
              : Status::Invalid(
                    fmt::format("value {} does not fit {}", v.dump(), b.type()->ToString()));
  };
  switch (id) {
    case TypeId::kBool:
      QUARRY_RETURN_NOT_OK(need(v.is_boolean()));
      b.AppendBool(v.get<bool>());
      break;
    case TypeId::kInt8:
      return need(AppendInteger<int8_t>(b, v));
    case TypeId::kInt16:
      return need(AppendInteger<int16_t>(b, v));
    case TypeId::kInt32:
      return need(AppendInteger<int32_t>(b, v));
    case TypeId::kInt64:
      return need(AppendInteger<int64_t>(b, v));
    case TypeId::kUint8:
      return need(AppendInteger<uint8_t>(b, v));
    case TypeId::kUint16:
      return need(AppendInteger<uint16_t>(b, v));
    case TypeId::kUint32:
      return need(AppendInteger<uint32_t>(b, v));
    case TypeId::kUint64:
      return need(AppendInteger<uint64_t>(b, v));
    case TypeId::kFloat32:
      return need(AppendFloat<float>(b, v));
    case TypeId::kFloat64:
      return need(AppendFloat<double>(b, v));
    case TypeId::kBinary:
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      if (base64_binary) {
        std::string bytes;
        QUARRY_RETURN_NOT_OK(need(DecodeBinary(v.get_ref<const std::string&>(), &bytes)));
        b.AppendBytes(bytes);
      } else {
        b.AppendBytes(v.get_ref<const std::string&>());
      }
      break;
    case TypeId::kUtf8:
    case TypeId::kInet:
    case TypeId::kMac:
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      b.AppendBytes(v.get_ref<const std::string&>());
      break;
    case TypeId::kJson:
      b.AppendBytes(v.dump());
      break;
    case TypeId::kTimestamp:
      if (v.is_number()) return need(AppendInteger<int64_t>(b, v));
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      {
        QUARRY_ASSIGN_OR_RETURN(int64_t us, ParseTimestamp(v.get_ref<const std::string&>()));
        b.Append<int64_t>(us);
      }
      break;
    case TypeId::kDate32: {
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      QUARRY_ASSIGN_OR_RETURN(int32_t days, ParseIsoDate(v.get_ref<const std::string&>()));
      b.Append<int32_t>(days);
      break;
    }
    case TypeId::kUuid: {
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      uint8_t u[16];
      QUARRY_RETURN_NOT_OK(ParseUuid(v.get_ref<const std::string&>(), u));
      b.AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      break;
    }
    case TypeId::kList:
      QUARRY_RETURN_NOT_OK(need(v.is_array()));
      for (const auto& e : v) QUARRY_RETURN_NOT_OK(AppendJson(b.child(), e, base64_binary));
      b.FinishList();
      break;
  }
  return Status::OK();
}

}  // namespace

Status ParseUuid(std::string_view text, uint8_t* out) {
  int n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') continue;
    if (n >= 32 || i + 1 > text.size()) break;
    const int hi = HexDigit(text[i]);
    const int lo = i + 1 < text.size() ? HexDigit(text[i + 1]) : -1;
    if (hi < 0 || lo < 0) return Status::Invalid(fmt::format("invalid uuid \"{}\"", text));
    out[n / 2] = static_cast<uint8_t>(hi * 16 + lo);
    n += 2;
    ++i;
  }
  if (n != 32 || text.size() != 36)
    return Status::Invalid(fmt::format("invalid uuid \"{}\"", text));
  return Status::OK();
}

Result<int64_t> ParseTimestamp(std::string_view text) { return ParseIsoTimestamp(text); }

Result<RecordBatchPtr> BatchFromJson(SchemaPtr schema, std::string_view json_text) {
  Json rows = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (rows.is_discarded() || !rows.is_array()) {
    return Status::Invalid("BatchFromJson: expected a JSON array of objects");
  }
  RecordBatchBuilder builder(schema);
  int64_t row = 0;
  for (const auto& obj : rows) {
    if (!obj.is_object()) return Status::Invalid("BatchFromJson: expected objects");
    for (int c = 0; c < schema->num_fields(); ++c) {
      const Field& f = schema->field(c);
      auto it = obj.find(f.name);
      Status st = AppendJson(builder.column(c), it == obj.end() ? Json() : *it,
                             /*base64_binary=*/false);
      if (!st.ok()) return st.WithContext(fmt::format("row {}: column {}", row, f.name));
    }
    ++row;
  }
  return builder.Finish();
}

Status AppendJsonText(ArrayBuilder& builder, std::string_view json_text) {
  Json v = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return Status::Invalid(fmt::format("invalid JSON: {}", json_text));
  return AppendJson(builder, v, /*base64_binary=*/true);
}

std::string BatchToJson(const RecordBatch& batch) {
  std::string out = "[";
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    if (i > 0) out += ",";
    out += batch.RowToJson(i);
  }
  out += "]";
  return out;
}

}  // namespace quarry::types
