#include <gtest/gtest.h>

#include "quarry/types/every_type.h"
#include "quarry/types/json.h"
#include "quarry/types/record_batch.h"
#include "quarry/types/utf8.h"

namespace quarry::types {
namespace {

SchemaPtr EveryTypeSchema() { return std::make_shared<const Schema>(EveryTypeFields()); }

TEST(TypesTest, EveryTypeRoundTripsThroughJson) {
  const std::string rows =
      R"([{"b":true,"i8":-8,"i16":-16,"i32":-32,"i64":-64,"u8":8,"u16":16,"u32":32,)"
      R"("u64":18446744073709551615,"f32":1.5,"f64":2.25,"s":"hé \"q\"","bin":"ab",)"
      R"("ts":"2026-11-25T16:46:29.123456Z","d":"2026-11-25",)"
      R"("id":"0f8fad5b-d9cb-469f-a165-70867728950e","j":{"k":[1,2]},"ip":"10.0.0.1/32",)"
      R"("m":"08:00:2b:01:02:03","l":[1,null,3],"ls":["x"]},{}])";
  auto batch = BatchFromJson(EveryTypeSchema(), rows);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_EQ((*batch)->num_rows(), 2);
  EXPECT_EQ((*batch)->RowToJson(0),
            R"({"b":true,"i8":-8,"i16":-16,"i32":-32,"i64":-64,"u8":8,"u16":16,"u32":32,)"
            R"("u64":18446744073709551615,"f32":1.5,"f64":2.25,"s":"hé \"q\"","bin":"YWI=",)"
            R"("ts":"2026-11-25T16:46:29.123456Z","d":"2026-11-25",)"
            R"("id":"0f8fad5b-d9cb-469f-a165-70867728950e","j":{"k":[1,2]},"ip":"10.0.0.1/32",)"
            R"("m":"08:00:2b:01:02:03","l":[1,null,3],"ls":["x"]})");
  // A row with every key missing is all nulls.
  for (int c = 0; c < (*batch)->num_columns(); ++c) {
    EXPECT_TRUE((*batch)->column(c).IsNull(1)) << c;
    EXPECT_EQ((*batch)->column(c).null_count(), 1) << c;
  }
}

TEST(TypesTest, RowToJsonEscapesColumnNames) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"a\"b\\c", int64()}, {"Customer Name", utf8()}});
  auto batch = BatchFromJson(schema, R"([{"a\"b\\c":1,"Customer Name":"x"}])");
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_EQ((*batch)->RowToJson(0), R"({"a\"b\\c":1,"Customer Name":"x"})");
}

TEST(TypesTest, ArraysUseArrowLayout) {
  ArrayBuilder b(utf8());
  b.AppendBytes("ab");
  b.AppendNull();
  b.AppendBytes("cde");
  auto a = b.Finish();
  ASSERT_TRUE(a.ok());
  const Array& arr = **a;
  EXPECT_EQ(arr.length(), 3);
  // offsets [0, 2, 2, 5], validity bits 0b101
  const int32_t* offsets = reinterpret_cast<const int32_t*>(arr.values_buffer()->data());
  EXPECT_EQ(offsets[0], 0);
  EXPECT_EQ(offsets[1], 2);
  EXPECT_EQ(offsets[2], 2);
  EXPECT_EQ(offsets[3], 5);
  EXPECT_EQ(arr.validity_buffer()->data()[0] & 7, 0b101);
  EXPECT_EQ(arr.GetView(2), "cde");
  // The builder is reusable after Finish.
  b.AppendBytes("z");
  EXPECT_EQ((*b.Finish())->GetView(0), "z");
}

TEST(TypesTest, TruncateUndoesAPartlyAppendedRow) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"b", boolean()}, {"s", utf8()}, {"l", list(int64())}, {"i", int64()}});
  auto batch = *BatchFromJson(schema, R"([{"b":true,"s":"x","l":[1],"i":1},)"
                                      R"({"b":null,"s":"yy","l":[2,3],"i":null}])");
  RecordBatchBuilder rb(schema);
  rb.column(0).AppendBool(true);
  rb.column(1).AppendBytes("x");
  rb.column(2).child().Append<int64_t>(1);
  rb.column(2).FinishList();
  rb.column(3).Append<int64_t>(1);
  // A second row, abandoned half-way.
  rb.column(0).AppendNull();
  rb.column(1).AppendBytes("garbage");
  rb.column(2).child().Append<int64_t>(9);
  rb.column(2).FinishList();
  for (int c = 0; c < 3; ++c) rb.column(c).Truncate(1);
  rb.column(0).AppendNull();
  rb.column(1).AppendBytes("yy");
  rb.column(2).child().Append<int64_t>(2);
  rb.column(2).child().Append<int64_t>(3);
  rb.column(2).FinishList();
  rb.column(3).AppendNull();
  auto built = rb.Finish();
  ASSERT_TRUE(built.ok()) << built.status().message();
  EXPECT_EQ(BatchToJson(**built), BatchToJson(*batch));
  EXPECT_EQ((*built)->column(0).null_count(), 1);
}

TEST(TypesTest, BoolsAreBitPacked) {
  ArrayBuilder b(boolean());
  for (int i = 0; i < 10; ++i) b.AppendBool(i % 3 == 0);
  auto a = *b.Finish();
  EXPECT_EQ(a->values_buffer()->size(), 2);
  EXPECT_EQ(a->validity_buffer(), nullptr);  // no nulls: no bitmap
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a->BoolValue(i), i % 3 == 0);
}

TEST(TypesTest, BatchBuilderRejectsRaggedColumns) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"a", int64()}, {"b", utf8()}});
  RecordBatchBuilder rb(schema);
  rb.column(0).Append<int64_t>(1);
  auto r = rb.Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column b has 0 values"), std::string::npos);
}

TEST(TypesTest, BadJsonValueNamesRowAndColumn) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"a", int64()}});
  auto r = BatchFromJson(schema, R"([{"a":1},{"a":"x"}])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "row 1: column a: value \"x\" does not fit int64");
}

TEST(TypesTest, TypeNamesParseBack) {
  for (const auto& f : EveryTypeSchema()->fields()) {
    auto t = ParseType(f.type->ToString());
    ASSERT_TRUE(t.ok()) << f.type->ToString();
    EXPECT_TRUE((*t)->Equals(*f.type));
  }
}

TEST(Utf8Test, AcceptsWellFormedTextAndRefusesEveryMalformedShape) {
  for (std::string_view ok : {"", "plain ascii, longer than eight bytes", "é", "日本語", "🙂",
                              "\x7f", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
  const std::string_view nul("a\0b", 3);
  EXPECT_TRUE(
      IsValidUtf8(nul));  // NUL is valid UTF-8; whether it can be stored is the destination's call
  for (std::string_view bad :
       {"\xff", "abcdefgh\xff", "\xc3", "\xc3(", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\x80", "ok\xe6\x97"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(Utf8Test, CheckNamesTheColumnAndRowOfTheFirstBadValue) {
  auto schema = std::make_shared<Schema>(
      std::vector<Field>{{"id", int64()}, {"name", utf8()}, {"tags", list(utf8())}});
  RecordBatchBuilder b(schema);
  for (int i = 0; i < 3; ++i) {
    b.column(0).Append<int64_t>(i);
    b.column(1).AppendBytes(i == 2 ? std::string_view("\xff") : std::string_view("fine"));
    b.column(2).child().AppendBytes(i == 1 ? std::string_view("\xc3") : std::string_view("t"));
    b.column(2).FinishList();
  }
  auto batch = b.Finish();
  ASSERT_TRUE(batch.ok());
  Status st = CheckUtf8(**batch, 100);
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_TRUE(st.message().starts_with("column name, row 102: the text is not valid UTF-8"))
      << st.message();
}

}  // namespace
}  // namespace quarry::types
