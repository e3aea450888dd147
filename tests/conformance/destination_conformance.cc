#include "tests/conformance/destination_conformance.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "quarry/schema/table.h"
#include "quarry/state/state_store.h"
#include "quarry/types/json.h"

namespace quarry::conformance {
namespace {

using config::MigrateMode;
using config::WriteMode;

#define ASSERT_OK(expr)                          \
  do {                                           \
    const ::quarry::Status _st = (expr);         \
    ASSERT_TRUE(_st.ok()) << _st.ToString();     \
  } while (false)

constexpr char kSyncTime1[] = "2026-11-25T10:00:00Z";
constexpr char kSyncTime2[] = "2026-11-25T11:00:00Z";

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

schema::TablePtr SimpleTable(const std::string& name, bool with_extra = false,
                             types::TypePtr value_type = types::utf8()) {
  schema::Table t{name, "", ""};
  schema::Column id{"id", types::int64()};
  id.primary_key = true;
  id.not_null = true;
  t.columns = {id, {"value", value_type}};
  if (with_extra) t.columns.push_back({"extra", types::int64()});
  return schema::WithCqColumns(**schema::Finalize(t));
}

// Rows of a table with the bookkeeping values filled in: `rows` is a JSON array of objects
// holding the table's own columns.
types::RecordBatchPtr Rows(const schema::TablePtr& t, const std::string& rows,
                           const char* sync_time = kSyncTime1, const char* source = "src") {
  auto json = nlohmann::json::parse(rows);
  int i = 0;
  for (auto& r : json) {
    if (!r.contains("_cq_id")) {
      r["_cq_id"] = fmt::format("00000000-0000-4000-8000-{:012d}", r.value("id", 0) * 1000 + i);
    }
    r["_cq_source_name"] = source;
    r["_cq_sync_time"] = sync_time;
    ++i;
  }
  auto batch = types::BatchFromJson(t->arrow_schema, json.dump());
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  return batch.ok() ? *batch : nullptr;
}

// The table's rows as read back, one JSON object per row, sorted, only the listed columns.
std::vector<std::string> ReadBack(plugin::DestinationPlugin& d, const schema::Table& t,
                                  const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  Status st = d.Read(t, [&](types::RecordBatchPtr b) {
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      std::string row = "{";
      for (const auto& c : columns) {
        const int i = b->schema()->IndexOf(c);
        if (i < 0) return Status::Invalid("no column " + c);
        row += (row.size() > 1 ? "," : "") + ("\"" + c + "\":") + types::ValueToJson(b->column(i), r);
      }
      out.push_back(row + "}");
    }
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::sort(out.begin(), out.end());
  return out;
}

int64_t Micros(const char* rfc3339) { return *types::ParseTimestamp(rfc3339); }

// The same JSON value, spelled one way (destinations may respace JSON columns, as jsonb does).
std::string Normalize(const std::string& json) { return nlohmann::json::parse(json).dump(); }

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
  EXPECT_EQ(Normalize(got[0]), Normalize(
            R"({"id":1,"b":true,"i8":-128,"i16":-32768,"i32":-2147483648,"u8":255,"u16":65535,)"
            R"("u32":4294967295,"u64":18446744073709551615,"f32":1.5,"f64":-2.25,)"
            R"("s":"hé \"q\" \\ x","bin":"YWI=","ts":"2026-11-25T16:46:29.123456Z",)"
            R"("d":"1999-12-31","u":"0f8fad5b-d9cb-469f-a165-70867728950e",)"
            R"("j":{"k":[1,2,{"n":null}]},"ip":"10.1.0.0/16","mac":"08:00:2b:01:02:03",)"
            R"("li":[1,null,3],"ls":["x","y z"]})"));
  EXPECT_EQ(got[1],
            R"({"id":2,"b":null,"i8":null,"i16":null,"i32":null,"u8":null,"u16":null,)"
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
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":5,"value":"x"},{"id":6,"value":"y"},)"
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
  EXPECT_FALSE(d->WriteAll({{a.get(), &ra2}, {b.get(), &rb2}}).ok());
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
        << config::ToString(mode);
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

}  // namespace
}  // namespace quarry::conformance
