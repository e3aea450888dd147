#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

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

// A list column of one row holding `values`, printed with ValueToJson and read back with
// AppendJsonText.
template <typename T>
ArrayPtr JsonRoundTrip(TypePtr element, const std::vector<T>& values, std::string* text) {
  ArrayBuilder b(list(std::move(element)));
  for (T v : values) b.child().Append<T>(v);
  b.FinishList();
  auto array = b.Finish();
  EXPECT_TRUE(array.ok());
  *text = ValueToJson(**array, 0);
  ArrayBuilder back(list((*array)->type()->value_type()));
  const Status st = AppendJsonText(back, *text);
  EXPECT_TRUE(st.ok()) << *text << ": " << st.message();
  auto out = back.Finish();
  EXPECT_TRUE(out.ok());
  return out.ok() ? *out : nullptr;
}

template <typename T>
std::vector<T> Values(const Array& list_array) {
  std::vector<T> out;
  const Array& child = list_array.child();
  for (int32_t k = list_array.list_offset(0); k < list_array.list_offset(1); ++k) {
    out.push_back(child.Value<T>(k));
  }
  return out;
}

TEST(TypesTest, TimestampsOfEveryYearRoundTripThroughJsonText) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // The ends of int64, the last instant of year -1 and first of year 0, the epoch, the last of
  // 9999 and first of 10000.
  const std::vector<int64_t> values{
      kMin,     kMin + 1, -62'167'219'200'000'001, -62'167'219'200'000'000,
      -1,       0,        253'402'300'799'999'999, 253'402'300'800'000'000,
      kMax - 1, kMax};
  std::string text;
  auto back = JsonRoundTrip<int64_t>(timestamp(), values, &text);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(text, R"(["-290308-12-21T19:59:05.224192Z","-290308-12-21T19:59:05.224193Z",)"
                  R"("-0001-12-31T23:59:59.999999Z","0000-01-01T00:00:00.000000Z",)"
                  R"("1969-12-31T23:59:59.999999Z","1970-01-01T00:00:00.000000Z",)"
                  R"("9999-12-31T23:59:59.999999Z","+10000-01-01T00:00:00.000000Z",)"
                  R"("+294247-01-10T04:00:54.775806Z","+294247-01-10T04:00:54.775807Z"])");
  EXPECT_EQ(Values<int64_t>(*back), values);
}

TEST(TypesTest, DatesOfEveryYearRoundTripThroughJsonText) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  const std::vector<int32_t> values{kMin, kMin + 1,  -719'529,  -719'528, -1,
                                    0,    2'932'896, 2'932'897, kMax - 1, kMax};
  std::string text;
  auto back = JsonRoundTrip<int32_t>(date32(), values, &text);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(text, R"(["-5877641-06-23","-5877641-06-24","-0001-12-31","0000-01-01","1969-12-31",)"
                  R"("1970-01-01","9999-12-31","+10000-01-01","+5881580-07-10","+5881580-07-11"])");
  EXPECT_EQ(Values<int32_t>(*back), values);
}

// Bit patterns, so that -0.0 and 0.0 differ and a NaN equals a NaN.
template <typename T>
std::vector<std::string> Bits(const std::vector<T>& values) {
  std::vector<std::string> out;
  for (T v : values) {
    std::string b(sizeof(T), '\0');
    std::memcpy(b.data(), &v, sizeof(T));
    out.push_back(std::isnan(v) ? "NaN" : b);
  }
  return out;
}

TEST(TypesTest, FloatSpecialValuesRoundTripThroughJsonText) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<double> f64{std::numeric_limits<double>::quiet_NaN(),
                                kInf,
                                -kInf,
                                -0.0,
                                0.0,
                                0.1,
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::max(),
                                1e16};
  std::string text;
  auto back = JsonRoundTrip<double>(float64(), f64, &text);
  ASSERT_NE(back, nullptr);
  // JSON has no NaN or infinities: they are strings, as PostgreSQL's to_json writes them.
  EXPECT_EQ(text,
            R"(["NaN","Infinity","-Infinity",-0.0,0,0.1,5e-324,-1.7976931348623157e+308,1e+16])");
  EXPECT_EQ(Bits(Values<double>(*back)), Bits(f64));

  const std::vector<float> f32{
      std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
      -std::numeric_limits<float>::infinity(), -0.0f, 0.1f,
      std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
      // Its shortest text reads as a double exactly halfway between it
      // and the next float, which a plain cast rounds to the other one.
      7.038531e-26f};
  back = JsonRoundTrip<float>(float32(), f32, &text);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(text, R"(["NaN","Infinity","-Infinity",-0.0,0.1,1e-45,3.4028235e+38,7.038531e-26])");
  EXPECT_EQ(Bits(Values<float>(*back)), Bits(f32));

  // `-0`, as PostgreSQL writes it, is -0.0 too.
  ArrayBuilder b(list(float64()));
  ASSERT_TRUE(AppendJsonText(b, "[-0,0]").ok());
  auto neg = b.Finish();
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(Bits(Values<double>(**neg)), Bits(std::vector<double>{-0.0, 0.0}));
}

TEST(TypesTest, BinaryInListsRoundTripsThroughJsonTextAsBase64) {
  ArrayBuilder b(list(binary()));
  const std::vector<std::string> values{"", std::string("\0", 1), "a\xff", "\\x61\xfe",
                                        std::string("\0\1\2\3", 4)};
  for (const auto& v : values) b.child().AppendBytes(v);
  b.FinishList();
  auto array = b.Finish();
  ASSERT_TRUE(array.ok());
  const std::string text = ValueToJson(**array, 0);
  EXPECT_EQ(text, R"(["","AA==","Yf8=","XHg2Mf4=","AAECAw=="])");
  ArrayBuilder back(list(binary()));
  ASSERT_TRUE(AppendJsonText(back, text).ok());
  // bytea as PostgreSQL's to_json writes it.
  ASSERT_TRUE(AppendJsonText(back, R"(["\\x00ff"])").ok());
  auto got = back.Finish();
  ASSERT_TRUE(got.ok());
  std::vector<std::string> read;
  for (int32_t k = 0; k < (*got)->child().length(); ++k) {
    read.emplace_back((*got)->child().GetView(k));
  }
  std::vector<std::string> want = values;
  want.emplace_back("\0\xff", 2);
  EXPECT_EQ(read, want);
  for (const char* bad :
       {R"(["YWI"])", R"(["Y=I="])", R"(["YW==YWI="])", R"(["\\x0"])", R"(["\\xzz"])"}) {
    ArrayBuilder c(list(binary()));
    EXPECT_FALSE(AppendJsonText(c, bad).ok()) << bad;
  }
}

TEST(TypesTest, JsonValuesThatDoNotFitTheirTypeAreErrorsNotOtherValues) {
  const std::vector<std::pair<TypePtr, std::string>> cases{
      {int8(), "300"},
      {int8(), "-129"},
      {uint8(), "-1"},
      {uint64(), "-1"},
      {int64(), "18446744073709551615"},
      {timestamp(), "18446744073709551615"},
      {float32(), "1e300"},
      {float64(), "\"nan\""},
      {date32(), "\"2026-02-30\""},
      {date32(), "\"2026-11-25T00:00:00Z\""},
      {date32(), "\"+5881580-07-12\""},
      {timestamp(), "\"2026-11-25T16:46:29.1234567Z\""},
      {timestamp(), "\"+294247-01-10T04:00:54.775808Z\""},
  };
  for (const auto& [type, json] : cases) {
    ArrayBuilder b(type);
    EXPECT_FALSE(AppendJsonText(b, json).ok()) << type->ToString() << " " << json;
  }
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
