#include "plugins/destination/postgresql/pg_types.h"

namespace quarry::plugins::postgresql {
namespace {

using types::TypeId;

// Built-in type OIDs (PostgreSQL's pg_type.dat; fixed across versions). Binary arrays carry
// their element type's OID, which the server checks against the column's.
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kByteaOid = 17;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kMacaddrOid = 829;
constexpr uint32_t kInetOid = 869;
constexpr uint32_t kDateOid = 1082;
constexpr uint32_t kTimestampOid = 1114;
constexpr uint32_t kNumericOid = 1700;
constexpr uint32_t kUuidOid = 2950;
constexpr uint32_t kJsonbOid = 3802;

}  // namespace

bool IsNestedList(const types::DataType& t) {
  return t.id() == TypeId::kList && t.value_type()->id() == TypeId::kList;
}

std::string PgType(const types::DataType& t) {
  switch (t.id()) {
    case TypeId::kBool:
      return "boolean";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kUint8:
      return "smallint";
    case TypeId::kInt32:
    case TypeId::kUint16:
      return "integer";
    case TypeId::kInt64:
    case TypeId::kUint32:
      return "bigint";
    case TypeId::kUint64:
      return "numeric(20,0)";
    case TypeId::kFloat32:
      return "real";
    case TypeId::kFloat64:
      return "double precision";
    case TypeId::kUtf8:
      return "text";
    case TypeId::kBinary:
      return "bytea";
    case TypeId::kTimestamp:
      return "timestamp without time zone";
    case TypeId::kDate32:
      return "date";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kJson:
      return "jsonb";
    case TypeId::kInet:
      return "inet";
    case TypeId::kMac:
      return "macaddr";
    case TypeId::kList:
      return IsNestedList(t) ? "text" : PgType(*t.value_type()) + "[]";
  }
  return "text";
}

uint32_t ElementOid(TypeId id) {
  switch (id) {
    case TypeId::kBool:
      return kBoolOid;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kUint8:
      return kInt2Oid;
    case TypeId::kInt32:
    case TypeId::kUint16:
      return kInt4Oid;
    case TypeId::kInt64:
    case TypeId::kUint32:
      return kInt8Oid;
    case TypeId::kUint64:
      return kNumericOid;
    case TypeId::kFloat32:
      return kFloat4Oid;
    case TypeId::kFloat64:
      return kFloat8Oid;
    case TypeId::kUtf8:
      return kTextOid;
    case TypeId::kBinary:
      return kByteaOid;
    case TypeId::kTimestamp:
      return kTimestampOid;
    case TypeId::kDate32:
      return kDateOid;
    case TypeId::kUuid:
      return kUuidOid;
    case TypeId::kJson:
      return kJsonbOid;
    case TypeId::kInet:
      return kInetOid;
    case TypeId::kMac:
      return kMacaddrOid;
    case TypeId::kList:
      return kTextOid;  // nested lists are JSON text
  }
  return kTextOid;
}

}  // namespace quarry::plugins::postgresql
