#include "quarry/types/data_type.h"

#include <fmt/format.h>

namespace quarry::types {
namespace {

struct TypeInfo {
  TypeId id;
  std::string_view name;
  Layout layout;
  int width;
};

constexpr TypeInfo kTypes[] = {
    {TypeId::kBool, "bool", Layout::kBitmap, 0},
    {TypeId::kInt8, "int8", Layout::kFixedWidth, 1},
    {TypeId::kInt16, "int16", Layout::kFixedWidth, 2},
    {TypeId::kInt32, "int32", Layout::kFixedWidth, 4},
    {TypeId::kInt64, "int64", Layout::kFixedWidth, 8},
    {TypeId::kUint8, "uint8", Layout::kFixedWidth, 1},
    {TypeId::kUint16, "uint16", Layout::kFixedWidth, 2},
    {TypeId::kUint32, "uint32", Layout::kFixedWidth, 4},
    {TypeId::kUint64, "uint64", Layout::kFixedWidth, 8},
    {TypeId::kFloat32, "float", Layout::kFixedWidth, 4},
    {TypeId::kFloat64, "double", Layout::kFixedWidth, 8},
    {TypeId::kUtf8, "utf8", Layout::kVarBinary, 0},
    {TypeId::kBinary, "binary", Layout::kVarBinary, 0},
    {TypeId::kTimestamp, "timestamp[us, tz=UTC]", Layout::kFixedWidth, 8},
    {TypeId::kDate32, "date32", Layout::kFixedWidth, 4},
    {TypeId::kUuid, "uuid", Layout::kFixedBinary, 16},
    {TypeId::kJson, "json", Layout::kVarBinary, 0},
    {TypeId::kInet, "inet", Layout::kVarBinary, 0},
    {TypeId::kMac, "mac", Layout::kVarBinary, 0},
    {TypeId::kList, "list", Layout::kList, 0},
};

const TypeInfo& Info(TypeId id) { return kTypes[static_cast<int>(id)]; }

TypePtr Make(TypeId id) { return std::make_shared<const DataType>(id, nullptr); }

}  // namespace

Layout DataType::layout() const { return Info(id_).layout; }
int DataType::byte_width() const { return Info(id_).width; }

bool DataType::Equals(const DataType& other) const {
  if (id_ != other.id_) return false;
  if (id_ == TypeId::kList) return value_type_->Equals(*other.value_type_);
  return true;
}

std::string DataType::ToString() const {
  if (id_ == TypeId::kList) return fmt::format("list<{}>", value_type_->ToString());
  return std::string(Info(id_).name);
}

#define QUARRY_SINGLETON(fn, id)       \
  TypePtr fn() {                       \
    static const TypePtr t = Make(id); \
    return t;                          \
  }
QUARRY_SINGLETON(boolean, TypeId::kBool)
QUARRY_SINGLETON(int8, TypeId::kInt8)
QUARRY_SINGLETON(int16, TypeId::kInt16)
QUARRY_SINGLETON(int32, TypeId::kInt32)
QUARRY_SINGLETON(int64, TypeId::kInt64)
QUARRY_SINGLETON(uint8, TypeId::kUint8)
QUARRY_SINGLETON(uint16, TypeId::kUint16)
QUARRY_SINGLETON(uint32, TypeId::kUint32)
QUARRY_SINGLETON(uint64, TypeId::kUint64)
QUARRY_SINGLETON(float32, TypeId::kFloat32)
QUARRY_SINGLETON(float64, TypeId::kFloat64)
QUARRY_SINGLETON(utf8, TypeId::kUtf8)
QUARRY_SINGLETON(binary, TypeId::kBinary)
QUARRY_SINGLETON(timestamp, TypeId::kTimestamp)
QUARRY_SINGLETON(date32, TypeId::kDate32)
QUARRY_SINGLETON(uuid, TypeId::kUuid)
QUARRY_SINGLETON(json, TypeId::kJson)
QUARRY_SINGLETON(inet, TypeId::kInet)
QUARRY_SINGLETON(mac, TypeId::kMac)
#undef QUARRY_SINGLETON

TypePtr list(TypePtr value_type) {
  return std::make_shared<const DataType>(TypeId::kList, std::move(value_type));
}

Result<TypePtr> ParseType(std::string_view text) {
  if (text.starts_with("list<") && text.ends_with(">")) {
    QUARRY_ASSIGN_OR_RETURN(TypePtr inner, ParseType(text.substr(5, text.size() - 6)));
    return list(std::move(inner));
  }
  if (text == "string") return utf8();
  if (text == "boolean") return boolean();
  if (text == "timestamp" || text == "timestamp[us]") return timestamp();
  if (text == "float32") return float32();
  if (text == "float64") return float64();
  for (const auto& info : kTypes) {
    if (info.id != TypeId::kList && info.name == text) return Make(info.id);
  }
  return Status::Invalid(fmt::format("unknown type \"{}\"", text));
}

}  // namespace quarry::types
