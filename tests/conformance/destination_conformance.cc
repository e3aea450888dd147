#include "tests/conformance/destination_conformance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "quarry/schema/table.h"
#include "quarry/state/state_store.h"
#include "quarry/testing/status.h"
#include "quarry/types/json.h"
#include "tests/conformance/conformance_rows.h"

namespace quarry::conformance {
namespace {

using plugin::MigrateMode;
using plugin::WriteMode;

schema::TablePtr EveryTypeTable(const std::string& name) {
  schema::Table t{name, "", ""};
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  t.columns = {id,
               {"b", types::boolean()},
               {"i8", types::int8()},
               {"i16", types::int16()},
               {"i32", types::int32()},
               {"u8", types::uint8()},
               {"u16", types::uint16()},
               {"u32", types::uint32()},
               {"u64", types::uint64()},
               {"f32", types::float32()},
               {"f64", types::float64()},
               {"s", types::utf8()},
               {"bin", types::binary()},
               {"ts", types::timestamp()},
               {"d", types::date32()},
               {"u", types::uuid()},
               {"j", types::json()},
               {"ip", types::inet()},
               {"mac", types::mac()},
               {"li", types::list(types::int64())},
               {"ls", types::list(types::utf8())}};
  return schema::WithCqColumns(**schema::Finalize(t));
}

TEST_P(DestinationConformance, EveryTypeRoundTrips) {
  auto d = Open();
  auto t = EveryTypeTable("conf_types");
  ASSERT_OK(d->Migrate({t}));
  auto batch = Rows(t, R"([
    {"id":1,"b":true,"i8":-128,"i16":-32768,"i32":-2147483648,"u8":255,"u16":65535,
     "u32":4294967295,"u64":18446744073709551615,"f32":1.5,"f64":-2.25,"s":"hé \"q\" \\ x",
     "bin":"ab","ts":"2026-11-25T16:46:29.123456Z","d":"1999-12-31",
     "u":"0f8fad5b-d9cb-469f-a165-70867728950e","j":{"k":[1,2,{"n":null}]},
     "ip":"10.1.0.0/16","mac":"08:00:2b:01:02:03","li":[1,null,3],"ls":["x","y z"]},
    {"id":2}])");
  ASSERT_OK(d->Write(*t, {batch}));
  std::vector<std::string> cols;
  for (const auto& c : t->columns) {
    if (!c.name.starts_with("_cq_")) cols.push_back(c.name);
  }
  auto got = ReadBack(*d, *t, cols);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(
      Normalize(got[0]),
      Normalize(R"({"id":1,"b":true,"i8":-128,"i16":-32768,"i32":-2147483648,"u8":255,"u16":65535,)"
                R"("u32":4294967295,"u64":18446744073709551615,"f32":1.5,"f64":-2.25,)"
                R"("s":"hé \"q\" \\ x","bin":"YWI=","ts":"2026-11-25T16:46:29.123456Z",)"
                R"("d":"1999-12-31","u":"0f8fad5b-d9cb-469f-a165-70867728950e",)"
                R"("j":{"k":[1,2,{"n":null}]},"ip":"10.1.0.0/16","mac":"08:00:2b:01:02:03",)"
                R"("li":[1,null,3],"ls":["x","y z"]})"));
  EXPECT_EQ(got[1], R"({"id":2,"b":null,"i8":null,"i16":null,"i32":null,"u8":null,"u16":null,)"
                    R"("u32":null,"u64":null,"f32":null,"f64":null,"s":null,"bin":null,"ts":null,)"
                    R"("d":null,"u":null,"j":null,"ip":null,"mac":null,"li":null,"ls":null})");
}

TEST_P(DestinationConformance, UpsertsByPrimaryKey) {
  auto d = Open(WriteMode::kOverwrite);
  auto t = SimpleTable("conf_upsert");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1,"value":"a"},{"id":2,"value":"b"}])")}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":2,"value":"B"},{"id":3,"value":"c"}])", kSyncTime2)}));
  EXPECT_EQ(ReadBack(*d, *t, {"id", "value"}),
            (std::vector<std::string>{R"({"id":1,"value":"a"})", R"({"id":2,"value":"B"})",
                                      R"({"id":3,"value":"c"})"}));
}

TEST_P(DestinationConformance, UpsertHandlesAConflictMidBatchAndRepeatedKeys) {
  auto d = Open(WriteMode::kOverwrite);
  auto t = SimpleTable("conf_upsert_mid");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1,"value":"a"}])")}));
  // New keys first, then an existing one, and a key twice: the last row of a key wins.
  ASSERT_OK(d->Write(*t, {Rows(t,
                               R"([{"id":5,"value":"x"},{"id":6,"value":"y"},)"
                               R"({"id":1,"value":"b"},{"id":5,"value":"z"}])",
                               kSyncTime2)}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":7,"value":"n"}])", kSyncTime2)}));
  EXPECT_EQ(ReadBack(*d, *t, {"id", "value"}),
            (std::vector<std::string>{R"({"id":1,"value":"b"})", R"({"id":5,"value":"z"})",
                                      R"({"id":6,"value":"y"})", R"({"id":7,"value":"n"})"}));
}

TEST_P(DestinationConformance, AppendKeepsEveryRow) {
  auto d = Open(WriteMode::kAppend);
  auto t = SimpleTable("conf_append");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1,"value":"a"}])")}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1,"value":"a"}])", kSyncTime2)}));
  EXPECT_EQ(ReadBack(*d, *t, {"id", "value"}).size(), 2u);
}

TEST_P(DestinationConformance, DeleteStaleRemovesOnlyOlderRowsOfTheSource) {
  auto d = Open();
  auto t = SimpleTable("conf_stale");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1,"value":"old"},{"id":2,"value":"old"}])")}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":3,"value":"other"}])", kSyncTime1, "other")}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":2,"value":"new"}])", kSyncTime2)}));
  auto deleted = d->DeleteStale(*t, "src", Micros(kSyncTime2));
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(ReadBack(*d, *t, {"id", "value"}),
            (std::vector<std::string>{R"({"id":2,"value":"new"})", R"({"id":3,"value":"other"})"}));
}

TEST_P(DestinationConformance, SafeMigrationAddsANullableColumnAndKeepsRows) {
  auto d = Open();
  auto v1 = SimpleTable("conf_add");
  ASSERT_OK(d->Migrate({v1}));
  ASSERT_OK(d->Write(*v1, {Rows(v1, R"([{"id":1,"value":"a"}])")}));
  auto v2 = SimpleTable("conf_add", /*with_extra=*/true);
  auto d2 = Open();
  ASSERT_OK(d2->Migrate({v2}));
  ASSERT_OK(d2->Write(*v2, {Rows(v2, R"([{"id":2,"value":"b","extra":7}])")}));
  EXPECT_EQ(ReadBack(*d2, *v2, {"id", "value", "extra"}),
            (std::vector<std::string>{R"({"id":1,"value":"a","extra":null})",
                                      R"({"id":2,"value":"b","extra":7})"}));
}

TEST_P(DestinationConformance, SafeMigrationRefusesALossyChangeAndTouchesNothing) {
  auto d = Open();
  auto v1 = SimpleTable("conf_lossy");
  ASSERT_OK(d->Migrate({v1}));
  ASSERT_OK(d->Write(*v1, {Rows(v1, R"([{"id":1,"value":"a"}])")}));
  auto v2 = SimpleTable("conf_lossy", false, types::int64());
  Status st = Open()->Migrate({v2});
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("table conf_lossy"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("change type of column value"), std::string::npos) << st.message();
  EXPECT_EQ(ReadBack(*Open(), *v1, {"id", "value"}),
            std::vector<std::string>{R"({"id":1,"value":"a"})"});
}

TEST_P(DestinationConformance, ForcedMigrationRebuildsTheTable) {
  auto d = Open();
  auto v1 = SimpleTable("conf_forced");
  ASSERT_OK(d->Migrate({v1}));
  ASSERT_OK(d->Write(*v1, {Rows(v1, R"([{"id":1,"value":"a"}])")}));
  auto v2 = SimpleTable("conf_forced", false, types::int64());
  auto forced = Open(WriteMode::kOverwriteDeleteStale, MigrateMode::kForced);
  ASSERT_OK(forced->Migrate({v2}));
  ASSERT_OK(forced->Write(*v2, {Rows(v2, R"([{"id":5,"value":42}])")}));
  EXPECT_EQ(ReadBack(*forced, *v2, {"id", "value"}),
            std::vector<std::string>{R"({"id":5,"value":42})"});
}

TEST_P(DestinationConformance, WriteAllLandsAllTablesOrNone) {
  auto d = Open();
  auto a = SimpleTable("conf_all_a");
  auto b = SimpleTable("conf_all_b");
  ASSERT_OK(d->Migrate({a, b}));
  const std::vector<types::RecordBatchPtr> ra{Rows(a, R"([{"id":1,"value":"a"}])")};
  const std::vector<types::RecordBatchPtr> rb{Rows(b, R"([{"id":1,"value":"b"}])")};
  ASSERT_OK(d->WriteAll({{a.get(), &ra}, {b.get(), &rb}}));
  // A NOT NULL key left null in the second table fails the whole call.
  const std::vector<types::RecordBatchPtr> ra2{Rows(a, R"([{"id":2,"value":"a2"}])")};
  auto bad = Rows(b, R"([{"value":"no id"}])");
  const std::vector<types::RecordBatchPtr> rb2{bad};
  EXPECT_EQ(d->WriteAll({{a.get(), &ra2}, {b.get(), &rb2}}).message(),
            "table conf_all_b: column id, row 0: NOT NULL constraint failed");
  EXPECT_EQ(ReadBack(*d, *a, {"id"}), std::vector<std::string>{R"({"id":1})"});
  EXPECT_EQ(ReadBack(*d, *b, {"id"}), std::vector<std::string>{R"({"id":1})"});
}

TEST_P(DestinationConformance, StateRoundTripsInEveryWriteMode) {
  for (WriteMode mode : {WriteMode::kOverwriteDeleteStale, WriteMode::kAppend}) {
    auto d = Open(mode);
    const std::string name = mode == WriteMode::kAppend ? "conf_state_append" : "conf_state";
    auto table = *state::StateTable(name);
    ASSERT_OK(d->Migrate({table}));
    ASSERT_OK(d->Write(*table, {*state::StateBatch(*table, {{"s:t", "1", 10}, {"s:u", "x", 10}})}));
    ASSERT_OK(d->Write(*table, {*state::StateBatch(*table, {{"s:t", "2", 11}, {"s:u", "", 12}})}));
    auto all = state::ReadAll(*d, *table);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(state::ForSource(*all, "s"), (std::map<std::string, std::string>{{"t", "2"}}))
        << plugin::ToString(mode);
  }
}

TEST_P(DestinationConformance, SyncLockIsExclusive) {
  auto a = Open();
  auto b = Open();
  auto first = a->TryLock("sync conformance");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(b->TryLock("sync conformance").ok());
  first->reset();
  EXPECT_TRUE(b->TryLock("sync conformance").ok());
}

// ---------------------------------------------------------------------------------------------
// A value is never silently changed: a destination stores it exactly or refuses the write with
// an error naming table, column and row, and then nothing of that write lands.

// `batch` with its column `name` replaced by `values`.
types::RecordBatchPtr WithColumn(const types::RecordBatchPtr& batch, const std::string& name,
                                 types::ArrayPtr values) {
  std::vector<types::ArrayPtr> columns;
  for (int c = 0; c < batch->num_columns(); ++c) columns.push_back(batch->column_ptr(c));
  columns[static_cast<size_t>(batch->schema()->IndexOf(name))] = std::move(values);
  auto out = types::RecordBatch::Make(batch->schema(), batch->num_rows(), std::move(columns));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : nullptr;
}

// An array of `type` from raw values; nullopt is NULL.
template <typename T>
types::ArrayPtr RawArray(types::TypePtr type, const std::vector<std::optional<T>>& values) {
  types::ArrayBuilder b(std::move(type));
  for (const auto& v : values) {
    if (v) {
      b.Append<T>(*v);
    } else {
      b.AppendNull();
    }
  }
  return *b.Finish();
}

// The exact value of a timestamp, date or float cell ("NaN" for any NaN, "-0" for -0.0), or of
// a list of them, for comparisons that printing through JSON would blur.
std::string ExactValue(const types::Array& a, int64_t i) {
  if (a.IsNull(i)) return "null";
  switch (a.type()->id()) {
    case types::TypeId::kTimestamp:
    case types::TypeId::kInt64:
      return std::to_string(a.Value<int64_t>(i));
    case types::TypeId::kDate32:
      return std::to_string(a.Value<int32_t>(i));
    case types::TypeId::kFloat32:
      return std::isnan(a.Value<float>(i)) ? "NaN" : fmt::format("{}", a.Value<float>(i));
    case types::TypeId::kFloat64:
      return std::isnan(a.Value<double>(i)) ? "NaN" : fmt::format("{}", a.Value<double>(i));
    case types::TypeId::kList: {
      std::string out = "[";
      for (int32_t k = a.list_offset(i); k < a.list_offset(i + 1); ++k) {
        out += (k == a.list_offset(i) ? "" : ",") + ExactValue(a.child(), k);
      }
      return out + "]";
    }
    default:
      return types::ValueToJson(a, i);
  }
}

// The table's rows as read back, "column=value" joined by spaces, sorted, with ExactValue.
std::vector<std::string> ReadExact(plugin::DestinationPlugin& d, const schema::Table& t,
                                   const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  Status st = d.Read(t, [&](types::RecordBatchPtr b) {
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      std::string row;
      for (const auto& c : columns) {
        const int i = b->schema()->IndexOf(c);
        if (i < 0) return Status::Invalid("no column " + c);
        row += (row.empty() ? "" : " ") + c + "=" + ExactValue(b->column(i), r);
      }
      out.push_back(row);
    }
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::sort(out.begin(), out.end());
  return out;
}

// Writes `batch`, whose row `row` holds a value of column `column` the destination may not be
// able to store. Returns whether the write succeeded; a failure must say where it failed.
// Whether the rows landed exactly, or not at all, the caller checks by reading the table back.
bool StoredOrRefused(plugin::DestinationPlugin& d, const schema::Table& t,
                     const types::RecordBatchPtr& batch, const std::string& column, int64_t row) {
  const Status st = d.Write(t, {batch});
  if (st.ok()) return true;
  const std::string& m = st.message();
  EXPECT_NE(m.find("table " + t.name), std::string::npos) << m;
  EXPECT_NE(m.find("column " + column), std::string::npos) << m;
  EXPECT_NE(m.find(fmt::format("row {}", row)), std::string::npos) << m;
  return false;
}

schema::TablePtr TextKeyTable(const std::string& name) {
  schema::Table t{name, "", ""};
  schema::Column k{"k", types::utf8()};
  k.primary_key = true;
  k.not_null = true;
  t.columns = {k, {"value", types::utf8()}, {"j", types::json()}};
  return schema::WithCqColumns(**schema::Finalize(t));
}

TEST_P(DestinationConformance, TextWithNulIsStoredExactlyOrRefusedNeverAltered) {
  auto d = Open(WriteMode::kOverwrite);
  auto t = TextKeyTable("conf_nul");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(
      *t,
      {Rows(t, R"([{"k":"ab","value":"ab","_cq_id":"00000000-0000-4000-8000-000000000001"}])")}));
  std::vector<std::string> want{R"({"k":"ab","value":"ab","j":null})"};
  // A key that differs from an existing one only by a NUL byte: it must not become that key.
  if (StoredOrRefused(*d, *t,
                      Rows(t, R"([{"k":"x","_cq_id":"00000000-0000-4000-8000-000000000002"},
                                  {"k":"a\u0000b","value":"a\u0000b",
                                   "_cq_id":"00000000-0000-4000-8000-000000000003"}])",
                           kSyncTime2),
                      "k", 1)) {
    want.push_back(R"({"k":"x","value":null,"j":null})");
    want.push_back(R"({"k":"a\u0000b","value":"a\u0000b","j":null})");
  }
  // JSON holding a NUL character, as an escape.
  if (StoredOrRefused(*d, *t,
                      Rows(t, R"([{"k":"y","_cq_id":"00000000-0000-4000-8000-000000000004"},
                                  {"k":"z","j":{"s":"a\u0000b"},
                                   "_cq_id":"00000000-0000-4000-8000-000000000005"}])",
                           kSyncTime2),
                      "j", 1)) {
    want.push_back(R"({"k":"y","value":null,"j":null})");
    want.push_back(R"({"k":"z","value":null,"j":{"s":"a\u0000b"}})");
  }
  for (auto& w : want) w = Normalize(w);
  std::sort(want.begin(), want.end());
  auto got = ReadBack(*d, *t, {"k", "value", "j"});
  for (auto& g : got) g = Normalize(g);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

// Microseconds and days since 1970-01-01, proleptic Gregorian, year 0 = 1 BC: the ends of
// int64 / int32, PostgreSQL's first day (4714-11-24 BC), 44-03-15 BC, the last instant of year
// -1 and first of year 0, 1969-12-31 23:59:59.999999, the last of 9999 and first of 10000,
// PostgreSQL's last date (5874897-12-31).
std::vector<int64_t> ExtremeTimestamps() {
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  return {kMin64,
          kMin64 + 1,
          -210'866'803'200'000'000,
          -63'517'824'000'000'000,
          -62'167'219'200'000'001,
          -62'167'219'200'000'000,
          -1,
          253'402'300'799'999'999,
          253'402'300'800'000'000,
          kMax64 - 1,
          kMax64};
}

std::vector<int32_t> ExtremeDates() {
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  return {kMin32, kMin32 + 1, -2'440'588, -735'160,      -719'529,   -719'528,
          -1,     2'932'896,  2'932'897,  2'145'042'905, kMax32 - 1, kMax32};
}

TEST_P(DestinationConformance, ExtremeTimestampsAndDatesAreStoredExactlyOrRefusedNeverAltered) {
  auto d = Open(WriteMode::kOverwrite);
  schema::Table def{"conf_extreme_time", "", ""};
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  def.columns = {id, {"ts", types::timestamp()}, {"d", types::date32()}};
  auto t = schema::WithCqColumns(**schema::Finalize(def));
  ASSERT_OK(d->Migrate({t}));
  const std::vector<int64_t> timestamps = ExtremeTimestamps();
  const std::vector<int32_t> dates = ExtremeDates();
  std::vector<std::string> want;
  int64_t next_id = 0;
  // Each value in a write of its own, after an ordinary row: a refusal takes both rows back.
  auto write = [&](std::optional<int64_t> ts, std::optional<int32_t> date) {
    const int64_t first = next_id;
    next_id += 2;
    auto rows = Rows(t, fmt::format(R"([{{"id":{}}},{{"id":{}}}])", first, first + 1));
    rows = WithColumn(rows, "ts", RawArray<int64_t>(types::timestamp(), {int64_t{0}, ts}));
    rows = WithColumn(rows, "d", RawArray<int32_t>(types::date32(), {int32_t{0}, date}));
    if (StoredOrRefused(*d, *t, rows, ts ? "ts" : "d", 1)) {
      want.push_back(fmt::format("id={} ts=0 d=0", first));
      want.push_back(fmt::format("id={} ts={} d={}", first + 1, ts ? std::to_string(*ts) : "null",
                                 date ? std::to_string(*date) : "null"));
    }
  };
  for (int64_t ts : timestamps) write(ts, std::nullopt);
  for (int32_t date : dates) write(std::nullopt, date);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ReadExact(*d, *t, {"id", "ts", "d"}), want);
}

TEST_P(DestinationConformance, FloatSpecialValuesAreStoredExactlyOrRefusedNeverAltered) {
  auto d = Open(WriteMode::kOverwrite);
  schema::Table def{"conf_floats", "", ""};
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  def.columns = {id, {"f32", types::float32()}, {"f64", types::float64()}};
  auto t = schema::WithCqColumns(**schema::Finalize(def));
  ASSERT_OK(d->Migrate({t}));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<std::optional<double>> values{std::numeric_limits<double>::quiet_NaN(),
                                                  kInf,
                                                  -kInf,
                                                  -0.0,
                                                  0.0,
                                                  std::nullopt,
                                                  std::numeric_limits<double>::denorm_min(),
                                                  -std::numeric_limits<double>::max()};
  std::vector<std::string> want;
  int64_t next_id = 0;
  for (const auto& v : values) {
    for (const std::string column : {"f32", "f64"}) {
      const int64_t first = next_id;
      next_id += 2;
      auto rows = Rows(t, fmt::format(R"([{{"id":{}}},{{"id":{}}}])", first, first + 1));
      std::optional<float> f32;
      std::optional<double> f64;
      if (v && column == "f32") f32 = static_cast<float>(*v);
      if (v && column == "f64") f64 = *v;
      rows = WithColumn(rows, "f32", RawArray<float>(types::float32(), {1.5f, f32}));
      rows = WithColumn(rows, "f64", RawArray<double>(types::float64(), {1.5, f64}));
      if (StoredOrRefused(*d, *t, rows, column, 1)) {
        want.push_back(fmt::format("id={} f32=1.5 f64=1.5", first));
        const types::RecordBatch& b = *rows;
        want.push_back(fmt::format("id={} f32={} f64={}", first + 1,
                                   ExactValue(b.column(b.schema()->IndexOf("f32")), 1),
                                   ExactValue(b.column(b.schema()->IndexOf("f64")), 1)));
      }
    }
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ReadExact(*d, *t, {"id", "f32", "f64"}), want);
}

// A list column of two rows: [ordinary] and [ordinary, value, null].
template <typename T>
types::ArrayPtr TwoLists(types::TypePtr element, T ordinary, T value) {
  types::ArrayBuilder b(types::list(std::move(element)));
  b.child().Append<T>(ordinary);
  b.FinishList();
  b.child().Append<T>(ordinary);
  b.child().Append<T>(value);
  b.child().AppendNull();
  b.FinishList();
  return *b.Finish();
}

TEST_P(DestinationConformance, ListsOfExtremeValuesAreStoredExactlyOrRefusedNeverAltered) {
  auto d = Open(WriteMode::kOverwrite);
  schema::Table def{"conf_extreme_lists", "", ""};
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  def.columns = {id,
                 {"lts", types::list(types::timestamp())},
                 {"ld", types::list(types::date32())},
                 {"lf64", types::list(types::float64())},
                 {"lf32", types::list(types::float32())},
                 {"lbin", types::list(types::binary())}};
  auto t = schema::WithCqColumns(**schema::Finalize(def));
  ASSERT_OK(d->Migrate({t}));
  const std::vector<std::string> columns{"id", "lts", "ld", "lf64", "lf32", "lbin"};
  std::vector<std::string> want;
  int64_t next_id = 0;
  // Each value in a list of its own, in a write of its own after an ordinary row: a refusal
  // takes both rows back.
  auto write = [&](const std::string& column, types::ArrayPtr lists) {
    const int64_t first = next_id;
    next_id += 2;
    auto rows = Rows(t, fmt::format(R"([{{"id":{}}},{{"id":{}}}])", first, first + 1));
    rows = WithColumn(rows, column, std::move(lists));
    if (!StoredOrRefused(*d, *t, rows, column, 1)) return;
    for (int64_t r = 0; r < 2; ++r) {
      std::string row;
      for (const auto& c : columns) {
        row += (row.empty() ? "" : " ") + c + "=" +
               ExactValue(rows->column(rows->schema()->IndexOf(c)), r);
      }
      want.push_back(row);
    }
  };
  for (int64_t ts : ExtremeTimestamps()) {
    write("lts", TwoLists<int64_t>(types::timestamp(), 1'764'089'189'123'456, ts));
  }
  for (int32_t date : ExtremeDates()) write("ld", TwoLists<int32_t>(types::date32(), 20'417, date));
  using D = std::numeric_limits<double>;
  for (double v :
       {D::quiet_NaN(), D::infinity(), -D::infinity(), -0.0, 0.1, D::denorm_min(), -D::max()}) {
    write("lf64", TwoLists<double>(types::float64(), 1.5, v));
  }
  using F = std::numeric_limits<float>;
  // 7.038531e-26f: its shortest text reads as the double halfway to the next float.
  for (float v : {F::quiet_NaN(), F::infinity(), -F::infinity(), -0.0f, 0.1f, F::denorm_min(),
                  -F::max(), 7.038531e-26f}) {
    write("lf32", TwoLists<float>(types::float32(), 1.5f, v));
  }
  // Bytes of every length modulo 3 (base64 padding), a NUL, 0xff.
  for (std::string_view bytes : {std::string_view(""), std::string_view("\0", 1),
                                 std::string_view("a\xff"), std::string_view("\\x61\0\xfe", 6)}) {
    types::ArrayBuilder b(types::list(types::binary()));
    b.child().AppendBytes("ab");
    b.FinishList();
    b.child().AppendBytes("ab");
    b.child().AppendBytes(bytes);
    b.child().AppendNull();
    b.FinishList();
    write("lbin", *b.Finish());
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ReadExact(*d, *t, columns), want);
}

}  // namespace
}  // namespace quarry::conformance
