// Encoding: Quarry's schemas and record batches into Arrow IPC stream bytes.
#include <fmt/format.h>

#include "quarry/ipc/format_internal.h"
#include "quarry/ipc/ipc.h"

namespace quarry::ipc {

using types::Array;
using types::Buffer;
using types::BufferPtr;
using types::Layout;
using types::TypeId;

namespace {

using internal::kContinuation;
using internal::kExtMetadata;
using internal::kExtName;
using internal::kZeroOffset;
using internal::PaddedTo8;

const char* ExtensionName(TypeId id) {
  switch (id) {
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kJson:
      return "json";
    case TypeId::kInet:
      return "inet";
    case TypeId::kMac:
      return "mac";
    default:
      return nullptr;
  }
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::KeyValue>>> EncodeMetadata(
    flatbuffers::FlatBufferBuilder& b, const types::Metadata& md, const char* extension) {
  std::vector<flatbuffers::Offset<fb::KeyValue>> kvs;
  if (extension != nullptr) {
    kvs.push_back(fb::CreateKeyValue(b, b.CreateString(kExtName.data(), kExtName.size()),
                                     b.CreateString(extension)));
    kvs.push_back(fb::CreateKeyValue(b, b.CreateString(kExtMetadata.data(), kExtMetadata.size()),
                                     b.CreateString(fmt::format("{}-serialized", extension))));
  }
  for (const auto& [k, v] : md) {
    if (k == kExtName || k == kExtMetadata) continue;
    kvs.push_back(fb::CreateKeyValue(b, b.CreateString(k), b.CreateString(v)));
  }
  if (kvs.empty()) return 0;
  return b.CreateVector(kvs);
}

flatbuffers::Offset<fb::Field> EncodeField(flatbuffers::FlatBufferBuilder& b,
                                           const std::string& name, const types::DataType& type,
                                           bool nullable, const types::Metadata& md) {
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Field>>> children = 0;
  if (type.id() == TypeId::kList) {
    std::vector<flatbuffers::Offset<fb::Field>> kids{
        EncodeField(b, "item", *type.value_type(), true, {})};
    children = b.CreateVector(kids);
  }
  fb::Type tt = fb::Type_NONE;
  flatbuffers::Offset<void> t;
  switch (type.id()) {
    case TypeId::kBool:
      tt = fb::Type_Bool;
      t = fb::CreateBool(b).Union();
      break;
    case TypeId::kInt8:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 8, true).Union();
      break;
    case TypeId::kInt16:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 16, true).Union();
      break;
    case TypeId::kInt32:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 32, true).Union();
      break;
    case TypeId::kInt64:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 64, true).Union();
      break;
    case TypeId::kUint8:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 8, false).Union();
      break;
    case TypeId::kUint16:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 16, false).Union();
      break;
    case TypeId::kUint32:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 32, false).Union();
      break;
    case TypeId::kUint64:
      tt = fb::Type_Int;
      t = fb::CreateInt(b, 64, false).Union();
      break;
    case TypeId::kFloat32:
      tt = fb::Type_FloatingPoint;
      t = fb::CreateFloatingPoint(b, fb::Precision_SINGLE).Union();
      break;
    case TypeId::kFloat64:
      tt = fb::Type_FloatingPoint;
      t = fb::CreateFloatingPoint(b, fb::Precision_DOUBLE).Union();
      break;
    case TypeId::kUtf8:
      tt = fb::Type_Utf8;
      t = fb::CreateUtf8(b).Union();
      break;
    case TypeId::kBinary:
    case TypeId::kJson:
    case TypeId::kInet:
    case TypeId::kMac:
      tt = fb::Type_Binary;
      t = fb::CreateBinary(b).Union();
      break;
    case TypeId::kTimestamp: {
      auto tz = b.CreateString("UTC");
      tt = fb::Type_Timestamp;
      t = fb::CreateTimestamp(b, fb::TimeUnit_MICROSECOND, tz).Union();
      break;
    }
    case TypeId::kDate32:
      tt = fb::Type_Date;
      t = fb::CreateDate(b, fb::DateUnit_DAY).Union();
      break;
    case TypeId::kUuid:
      tt = fb::Type_FixedSizeBinary;
      t = fb::CreateFixedSizeBinary(b, 16).Union();
      break;
    case TypeId::kList:
      tt = fb::Type_List;
      t = fb::CreateList(b).Union();
      break;
  }
  auto md_off = EncodeMetadata(b, md, ExtensionName(type.id()));
  auto name_off = b.CreateString(name);
  return fb::CreateField(b, name_off, nullable, tt, t, 0, children, md_off);
}

// Appends one framed message: continuation marker, padded metadata length, metadata, padding.
void AppendMetadata(flatbuffers::FlatBufferBuilder& b, std::string* out) {
  const int64_t size = b.GetSize();
  // The 8-byte prefix plus the metadata end on an 8-byte boundary, so the body is aligned.
  const int64_t padded = PaddedTo8(size);
  const uint32_t marker = kContinuation;
  const int32_t len = static_cast<int32_t>(padded);
  out->append(reinterpret_cast<const char*>(&marker), 4);
  out->append(reinterpret_cast<const char*>(&len), 4);
  out->append(reinterpret_cast<const char*>(b.GetBufferPointer()), static_cast<size_t>(size));
  out->append(static_cast<size_t>(padded - size), '\0');
}

void AppendSchemaMessage(const types::Schema& schema, std::string* out) {
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<fb::Field>> fields;
  fields.reserve(schema.fields().size());
  for (const auto& f : schema.fields()) {
    fields.push_back(EncodeField(b, f.name, *f.type, f.nullable, f.metadata));
  }
  auto fields_off = b.CreateVector(fields);
  auto md_off = EncodeMetadata(b, schema.metadata(), nullptr);
  auto s = fb::CreateSchema(b, fb::Endianness_Little, fields_off, md_off);
  b.Finish(fb::CreateMessage(b, fb::MetadataVersion_V5, fb::MessageHeader_Schema, s.Union(), 0));
  AppendMetadata(b, out);
}

// The body of a record batch as a list of byte ranges, gathered before the metadata is built.
struct BodyPlan {
  std::vector<BufferPtr> keep;  // buffers made while planning (converted mac columns)
  struct Piece {
    const uint8_t* data;
    int64_t size;
  };
  std::vector<fb::FieldNode> nodes;
  std::vector<fb::Buffer> buffers;
  std::vector<Piece> pieces;
  int64_t body_size = 0;

  void Add(const uint8_t* data, int64_t size) {
    buffers.emplace_back(body_size, size);
    pieces.push_back({data, size});
    body_size += PaddedTo8(size);
  }
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "08:00:2b:01:02:03" (or with '-') to its raw bytes, as CloudQuery's mac type stores them;
// text that is not a hardware address stays as it is.
void AppendMacRaw(std::string_view text, types::BufferBuilder* out) {
  const int64_t start = out->size();
  bool ok = !text.empty();
  for (size_t i = 0; ok && i < text.size(); i += 3) {
    const int hi = HexValue(text[i]);
    const int lo = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    const bool last = i + 2 == text.size();
    const bool sep = i + 3 < text.size() && (text[i + 2] == ':' || text[i + 2] == '-');
    ok = hi >= 0 && lo >= 0 && (last || sep);
    if (ok) out->AppendValue<uint8_t>(static_cast<uint8_t>(hi * 16 + lo));
  }
  if (!ok) {
    out->Truncate(start);
    out->Append(text.data(), static_cast<int64_t>(text.size()));
  }
}

// A mac column's values converted to raw bytes: offsets and data buffers.
std::pair<BufferPtr, BufferPtr> MacToRaw(const Array& a) {
  types::BufferBuilder offsets, data;
  offsets.AppendValue<int32_t>(0);
  for (int64_t i = 0; i < a.length(); ++i) {
    if (a.IsValid(i)) AppendMacRaw(a.GetView(i), &data);
    offsets.AppendValue<int32_t>(static_cast<int32_t>(data.size()));
  }
  return {offsets.Finish(), data.Finish()};
}

void PlanArray(const Array& a, BodyPlan* plan) {
  const int64_t n = a.length();
  plan->nodes.emplace_back(n, a.null_count());
  if (a.null_count() > 0) {
    plan->Add(a.validity_buffer()->data(), (n + 7) / 8);
  } else {
    plan->Add(nullptr, 0);
  }
  const auto& values = a.values_buffer();
  switch (a.type()->layout()) {
    case Layout::kBitmap:
      plan->Add(values ? values->data() : nullptr, (n + 7) / 8);
      break;
    case Layout::kFixedWidth:
    case Layout::kFixedBinary:
      plan->Add(values ? values->data() : nullptr, n * a.type()->byte_width());
      break;
    case Layout::kVarBinary: {
      if (a.type()->id() == TypeId::kMac) {
        auto [off, data] = MacToRaw(a);
        plan->Add(off->data(), off->size());
        plan->Add(data->data(), data->size());
        plan->keep.push_back(std::move(off));
        plan->keep.push_back(std::move(data));
        break;
      }
      if (!values || values->size() < (n + 1) * 4) {  // an empty array built without offsets
        plan->Add(kZeroOffset, 4);
        plan->Add(nullptr, 0);
        break;
      }
      plan->Add(values->data(), (n + 1) * 4);
      plan->Add(a.data_buffer() ? a.data_buffer()->data() : nullptr, a.list_offset(n));
      break;
    }
    case Layout::kList:
      if (!values || values->size() < (n + 1) * 4) {
        plan->Add(kZeroOffset, 4);
      } else {
        plan->Add(values->data(), (n + 1) * 4);
      }
      PlanArray(a.child(), plan);
      break;
  }
}

void AppendRecordBatchMessage(const types::RecordBatch& batch, std::string* out) {
  BodyPlan plan;
  for (int i = 0; i < batch.num_columns(); ++i) PlanArray(batch.column(i), &plan);
  flatbuffers::FlatBufferBuilder b(256 + 48 * plan.buffers.size());
  auto nodes = b.CreateVectorOfStructs(plan.nodes);
  auto buffers = b.CreateVectorOfStructs(plan.buffers);
  auto rb = fb::CreateRecordBatch(b, batch.num_rows(), nodes, buffers);
  b.Finish(fb::CreateMessage(b, fb::MetadataVersion_V5, fb::MessageHeader_RecordBatch, rb.Union(),
                             plan.body_size));
  out->reserve(out->size() + b.GetSize() + 16 + static_cast<size_t>(plan.body_size));
  AppendMetadata(b, out);
  for (const auto& p : plan.pieces) {
    if (p.size > 0) out->append(reinterpret_cast<const char*>(p.data), static_cast<size_t>(p.size));
    out->append(static_cast<size_t>(PaddedTo8(p.size) - p.size), '\0');
  }
}

void AppendEndOfStream(std::string* out) {
  const uint32_t eos[2] = {kContinuation, 0};
  out->append(reinterpret_cast<const char*>(eos), 8);
}

}  // namespace

std::string EncodeSchema(const types::Schema& schema) {
  std::string out;
  AppendSchemaMessage(schema, &out);
  AppendEndOfStream(&out);
  return out;
}

std::string EncodeRecord(const types::RecordBatch& batch) {
  std::string out;
  AppendSchemaMessage(*batch.schema(), &out);
  AppendRecordBatchMessage(batch, &out);
  AppendEndOfStream(&out);
  return out;
}

StreamWriter::StreamWriter(const types::Schema& schema) { AppendSchemaMessage(schema, &out_); }

void StreamWriter::Append(const types::RecordBatch& batch) {
  AppendRecordBatchMessage(batch, &out_);
}

std::string StreamWriter::Finish() {
  AppendEndOfStream(&out_);
  return std::move(out_);
}

}  // namespace quarry::ipc
