#include "quarry/ipc/ipc.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "quarry/types/every_type.h"
#include "quarry/types/json.h"

namespace quarry::ipc {
namespace {

using types::Field;
using types::Schema;
using types::SchemaPtr;

SchemaPtr EveryTypeSchema() {
  using namespace types;
  std::vector<Field> fields = EveryTypeFields();
  fields.push_back({"ll", list(list(int32()))});
  fields[4].nullable = false;
  fields[4].metadata = {{"cq:extension:primary_key", "true"}};
  fields[15].metadata = {{"cq:extension:unique", "true"}};
  return std::make_shared<const Schema>(
      std::move(fields), types::Metadata{{"cq:table_name", "every_type"},
                                         {"cq:table_description", "one column of each type"}});
}

constexpr const char* kRows =
    R"([{"b":true,"i8":-8,"i16":-16,"i32":-32,"i64":-64,"u8":8,"u16":16,"u32":32,)"
    R"("u64":18446744073709551615,"f32":1.5,"f64":2.25,"s":"hé \"q\"","bin":"ab",)"
    R"("ts":"2026-11-25T16:46:29.123456Z","d":"2026-11-25",)"
    R"("id":"0f8fad5b-d9cb-469f-a165-70867728950e","j":{"k":[1,2]},"ip":"10.0.0.1/32",)"
    R"("m":"08:00:2b:01:02:03","l":[1,null,3],"ls":["x"],"ll":[[1],[],null,[2,3]]},)"
    R"({"i64":7},)"
    R"({"b":false,"i64":9,"s":"","bin":"","l":[],"ls":[null,"y"],"ts":"1969-12-31T23:59:59Z"}])";

types::RecordBatchPtr EveryTypeBatch() {
  auto batch = types::BatchFromJson(EveryTypeSchema(), kRows);
  EXPECT_TRUE(batch.ok()) << batch.status().message();
  return *batch;
}

std::string SchemaText(const Schema& s) {
  std::string out;
  for (const auto& [k, v] : s.metadata()) out += k + "=" + v + ";";
  for (const auto& f : s.fields()) {
    out += "\n" + f.name + ":" + f.type->ToString() + (f.nullable ? "" : " not null");
    for (const auto& [k, v] : f.metadata) out += " " + k + "=" + v;
  }
  return out;
}

TEST(IpcTest, EveryTypeRoundTrips) {
  auto batch = EveryTypeBatch();
  const std::string bytes = EncodeRecord(*batch);
  auto back = DecodeRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(SchemaText(*(*back)->schema()), SchemaText(*batch->schema()));
  EXPECT_EQ(types::BatchToJson(**back), types::BatchToJson(*batch));
  for (int c = 0; c < batch->num_columns(); ++c) {
    EXPECT_EQ((*back)->column(c).null_count(), batch->column(c).null_count()) << c;
  }
}

TEST(IpcTest, StreamFollowsTheFramingOfTheSpec) {
  const std::string bytes = EncodeRecord(*EveryTypeBatch());
  uint32_t marker;
  int32_t len;
  std::memcpy(&marker, bytes.data(), 4);
  std::memcpy(&len, bytes.data() + 4, 4);
  EXPECT_EQ(marker, 0xFFFFFFFFu);
  EXPECT_EQ((8 + len) % 8, 0) << "the body must start 8-byte aligned";
  // The stream ends with the end-of-stream marker.
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(bytes.size() - 8), std::string("\xFF\xFF\xFF\xFF\0\0\0\0", 8));
  EXPECT_EQ(bytes.size() % 8, 0u);
}

TEST(IpcTest, SchemaStreamHasNoBatch) {
  const std::string bytes = EncodeSchema(*EveryTypeSchema());
  auto s = DecodeStream(bytes);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->batches.empty());
  EXPECT_EQ(SchemaText(*s->schema), SchemaText(*EveryTypeSchema()));
  auto rec = DecodeRecord(bytes);
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("exactly one record batch"), std::string::npos);
}

TEST(IpcTest, SeveralBatchesInOneStream) {
  auto batch = EveryTypeBatch();
  StreamWriter w(*batch->schema());
  w.Append(*batch);
  w.Append(*batch);
  auto s = DecodeStream(w.Finish());
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->batches.size(), 2u);
  EXPECT_EQ(types::BatchToJson(*s->batches[1]), types::BatchToJson(*batch));
}

TEST(IpcTest, EmptyBatchRoundTrips) {
  auto batch = types::BatchFromJson(EveryTypeSchema(), "[]");
  ASSERT_TRUE(batch.ok());
  auto back = DecodeRecord(EncodeRecord(**batch));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ((*back)->num_rows(), 0);
}

TEST(IpcTest, EveryTruncationIsAnError) {
  const std::string bytes = EncodeRecord(*EveryTypeBatch());
  // Cutting the end-of-stream marker is tolerated (older writers omit it); any shorter prefix
  // loses part of a message.
  for (size_t n = 0; n + 8 < bytes.size(); ++n) {
    auto r = DecodeRecord(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
  }
  EXPECT_TRUE(DecodeRecord(std::string_view(bytes).substr(0, bytes.size() - 8)).ok());
}

TEST(IpcTest, TrailingBytesAreAnError) {
  auto r = DecodeRecord(EncodeRecord(*EveryTypeBatch()) + "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("after the end-of-stream"), std::string::npos)
      << r.status().message();
}

// Replaces every 8-byte little-endian `from` in the metadata of message `index` with `to`.
std::string PatchInt64(std::string bytes, int64_t from, int64_t to, size_t begin, size_t end) {
  for (size_t i = begin; i + 8 <= end; i += 8) {
    int64_t v;
    std::memcpy(&v, bytes.data() + i, 8);
    if (v == from) std::memcpy(bytes.data() + i, &to, 8);
  }
  return bytes;
}

// Offset and end of the second message's metadata (the record batch).
std::pair<size_t, size_t> BatchMetadataRange(const std::string& bytes) {
  int32_t schema_len;
  std::memcpy(&schema_len, bytes.data() + 4, 4);
  const size_t start = 8 + static_cast<size_t>(schema_len);
  int32_t len;
  std::memcpy(&len, bytes.data() + start + 4, 4);
  return {start + 8, start + 8 + static_cast<size_t>(len)};
}

TEST(IpcTest, AbsurdLengthIsAnErrorNotAnAllocation) {
  auto batch = types::BatchFromJson(std::make_shared<const Schema>(std::vector<Field>{
                                        {"s", types::utf8()}, {"n", types::int64()}}),
                                    R"([{"s":"a","n":1},{"s":"b","n":2},{"s":"c","n":3}])");
  ASSERT_TRUE(batch.ok());
  const std::string bytes = EncodeRecord(**batch);
  auto [b, e] = BatchMetadataRange(bytes);
  for (int64_t huge : {int64_t{1} << 40, int64_t{1} << 30, int64_t{-5}}) {
    auto r = DecodeRecord(PatchInt64(bytes, 3, huge, b, e));
    ASSERT_FALSE(r.ok()) << huge;
    EXPECT_NE(r.status().message().find("arrow ipc"), std::string::npos);
  }
}

TEST(IpcTest, BufferOutsideTheBodyIsAnError) {
  auto batch = types::BatchFromJson(
      std::make_shared<const Schema>(std::vector<Field>{{"n", types::int64()}}),
      R"([{"n":1},{"n":2},{"n":3}])");
  ASSERT_TRUE(batch.ok());
  const std::string bytes = EncodeRecord(**batch);
  auto [b, e] = BatchMetadataRange(bytes);
  // The values buffer is 24 bytes long (so is the body): claim 2^33 in each place in turn.
  int column_errors = 0;
  for (size_t i = b; i + 8 <= e; i += 8) {
    int64_t v;
    std::memcpy(&v, bytes.data() + i, 8);
    if (v != 24) continue;
    std::string patched = bytes;
    const int64_t huge = int64_t{1} << 33;
    std::memcpy(patched.data() + i, &huge, 8);
    auto r = DecodeRecord(patched);
    ASSERT_FALSE(r.ok());
    if (r.status().message().find("column n: buffer") != std::string::npos) ++column_errors;
  }
  EXPECT_EQ(column_errors, 1);
}

TEST(IpcTest, DecreasingOffsetsAreAnError) {
  auto batch =
      types::BatchFromJson(std::make_shared<const Schema>(std::vector<Field>{{"s", types::utf8()}}),
                           R"([{"s":"aaaa"},{"s":"bb"}])");
  ASSERT_TRUE(batch.ok());
  std::string bytes = EncodeRecord(**batch);
  // The body holds offsets [0, 4, 6]; make them [0, 7, 6].
  const std::string want("\0\0\0\0\4\0\0\0\6\0\0\0", 12);
  const size_t at = bytes.find(want);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4] = 7;
  auto r = DecodeRecord(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column s: offset 7 at row 1"), std::string::npos)
      << r.status().message();
  // Offsets past the data.
  bytes[at + 4] = 4;
  bytes[at + 8] = 100;
  r = DecodeRecord(bytes);
  ASSERT_FALSE(r.ok());
}

TEST(IpcTest, RandomCorruptionNeverCrashes) {
  const std::string good = EncodeRecord(*EveryTypeBatch());
  std::mt19937 rng(12345);
  int decoded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto r = DecodeStream(bytes);
    if (r.ok()) {
      ++decoded;
      // Whatever decodes must be well formed: it encodes and decodes to the same rows.
      for (const auto& batch : r->batches) {
        auto again = DecodeRecord(EncodeRecord(*batch));
        ASSERT_TRUE(again.ok()) << again.status().message();
        EXPECT_EQ(types::BatchToJson(**again), types::BatchToJson(*batch));
      }
    }
  }
  EXPECT_LT(decoded, 3000);
}

TEST(IpcTest, NullCountIsRecomputedFromTheBitmap) {
  auto batch = types::BatchFromJson(
      std::make_shared<const Schema>(std::vector<Field>{{"n", types::int64()}}),
      R"([{"n":1},{},{"n":3}])");
  ASSERT_TRUE(batch.ok());
  auto back = DecodeRecord(EncodeRecord(**batch));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->column(0).null_count(), 1);
  EXPECT_TRUE((*back)->column(0).IsNull(1));
}

TEST(IpcTest, UnsupportedTypeNamesTheColumn) {
  // A schema with a Struct_ column, hand-assembled: encode a list column, then turn its type tag
  // (Type_List = 12) into Type_Struct_ (13). Both are empty tables, so the bytes stay valid.
  auto s = std::make_shared<const Schema>(std::vector<Field>{{"tags", types::list(types::int64())}},
                                          types::Metadata{{"cq:table_name", "t"}});
  std::string bytes = EncodeSchema(*s);
  ASSERT_TRUE(DecodeSchema(bytes).ok());
  // The union type of the outer field is a byte next to its `nullable` flag; find the one 12.
  int patched = 0;
  for (size_t i = 8; i < bytes.size(); ++i) {
    std::string copy = bytes;
    if (copy[i] != 12) continue;
    copy[i] = 13;
    auto r = DecodeSchema(copy);
    if (!r.ok() && r.status().message().find("column tags: unsupported Arrow type Struct_") !=
                       std::string::npos) {
      ++patched;
    }
  }
  EXPECT_EQ(patched, 1);
}

}  // namespace
}  // namespace quarry::ipc
