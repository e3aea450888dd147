#include "quarry/types/json.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

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

Status AppendJson(ArrayBuilder& b, const Json& v) {
  if (v.is_null()) {
    b.AppendNull();
    return Status::OK();
  }
  const TypeId id = b.type()->id();
  auto need = [&](bool ok) {
    return ok ? Status::OK()
              : Status::Invalid(fmt::format("value {} does not fit {}", v.dump(),
                                            b.type()->ToString()));
  };
  switch (id) {
    case TypeId::kBool:
      QUARRY_RETURN_NOT_OK(need(v.is_boolean()));
      b.AppendBool(v.get<bool>());
      break;
    case TypeId::kInt8: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<int8_t>(v.get<int8_t>()); break;
    case TypeId::kInt16: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<int16_t>(v.get<int16_t>()); break;
    case TypeId::kInt32: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<int32_t>(v.get<int32_t>()); break;
    case TypeId::kInt64: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<int64_t>(v.get<int64_t>()); break;
    case TypeId::kUint8: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<uint8_t>(v.get<uint8_t>()); break;
    case TypeId::kUint16: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<uint16_t>(v.get<uint16_t>()); break;
    case TypeId::kUint32: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<uint32_t>(v.get<uint32_t>()); break;
    case TypeId::kUint64: QUARRY_RETURN_NOT_OK(need(v.is_number_integer())); b.Append<uint64_t>(v.get<uint64_t>()); break;
    case TypeId::kFloat32: QUARRY_RETURN_NOT_OK(need(v.is_number())); b.Append<float>(v.get<float>()); break;
    case TypeId::kFloat64: QUARRY_RETURN_NOT_OK(need(v.is_number())); b.Append<double>(v.get<double>()); break;
    case TypeId::kUtf8:
    case TypeId::kBinary:
    case TypeId::kInet:
    case TypeId::kMac:
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      b.AppendBytes(v.get_ref<const std::string&>());
      break;
    case TypeId::kJson: b.AppendBytes(v.dump()); break;
    case TypeId::kTimestamp:
      if (v.is_number_integer()) {
        b.Append<int64_t>(v.get<int64_t>());
      } else {
        QUARRY_RETURN_NOT_OK(need(v.is_string()));
        QUARRY_ASSIGN_OR_RETURN(int64_t us, ParseTimestamp(v.get_ref<const std::string&>()));
        b.Append<int64_t>(us);
      }
      break;
    case TypeId::kDate32: {
      QUARRY_RETURN_NOT_OK(need(v.is_string()));
      const std::string& s = v.get_ref<const std::string&>();
      int y = 0;
      unsigned m = 0, d = 0;
      if (std::sscanf(s.c_str(), "%d-%u-%u", &y, &m, &d) != 3) return need(false);
      b.Append<int32_t>(DaysFromCivil(y, m, d));
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
      for (const auto& e : v) QUARRY_RETURN_NOT_OK(AppendJson(b.child(), e));
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
  if (n != 32 || text.size() != 36) return Status::Invalid(fmt::format("invalid uuid \"{}\"", text));
  return Status::OK();
}

Result<int64_t> ParseTimestamp(std::string_view text) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = 0;
  int consumed = 0;
  const std::string str(text);
  if (std::sscanf(str.c_str(), "%d-%u-%u%c%u:%u:%u%n", &y, &mo, &d, &sep, &h, &mi, &s,
                  &consumed) < 7 ||
      (sep != 'T' && sep != ' ')) {
    return Status::Invalid(fmt::format("invalid timestamp \"{}\"", text));
  }
  int64_t frac = 0;
  size_t pos = static_cast<size_t>(consumed);
  if (pos < str.size() && str[pos] == '.') {
    int digits = 0;
    ++pos;
    while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) {
      if (digits < 6) frac = frac * 10 + (str[pos] - '0');
      ++digits;
      ++pos;
    }
    for (; digits < 6; ++digits) frac *= 10;
  }
  const int64_t days = DaysFromCivil(y, mo, d);
  return ((days * 24 + h) * 60 + mi) * 60'000'000LL + s * 1'000'000LL + frac;
}

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
      Status st = AppendJson(builder.column(c), it == obj.end() ? Json() : *it);
      if (!st.ok()) return st.WithContext(fmt::format("row {}: column {}", row, f.name));
    }
    ++row;
  }
  return builder.Finish();
}

Status AppendJsonText(ArrayBuilder& builder, std::string_view json_text) {
  Json v = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return Status::Invalid(fmt::format("invalid JSON: {}", json_text));
  return AppendJson(builder, v);
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
