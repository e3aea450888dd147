// Writes in depth (many batches of awkward sizes, upsert and delete-stale details, failures that
// land nothing), reading back, and lock names, for every destination.
#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/types/json.h"
#include "tests/conformance/conformance_rows.h"
#include "tests/conformance/destination_conformance.h"

namespace quarry::conformance {
namespace {

using plugin::MigrateMode;
using plugin::WriteMode;

schema::Column Col(std::string name, types::TypePtr type, bool pk = false, bool not_null = false) {
  schema::Column c{std::move(name), std::move(type)};
  c.primary_key = pk;
  c.not_null = not_null || pk;
  return c;
}

// A table of exactly these columns (no _cq_* columns).
schema::TablePtr PlainTable(const std::string& name, std::vector<schema::Column> columns) {
  schema::Table t{name, "", ""};
  t.columns = std::move(columns);
  return *schema::Finalize(t);
}

types::RecordBatchPtr Batch(const schema::TablePtr& t, const std::string& rows) {
  auto batch = types::BatchFromJson(t->arrow_schema, rows);
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  return batch.ok() ? *batch : nullptr;
}

// id (key), name (null every 7th row), ts, u, tags (null every 5th row), f.
schema::TablePtr BigTable(const std::string& name) {
  return PlainTable(name, {Col("id", types::int64(), true), Col("name", types::utf8()),
                           Col("ts", types::timestamp()), Col("u", types::uuid()),
                           Col("tags", types::list(types::int64())), Col("f", types::float64())});
}

// `rows` rows of BigTable in batches of awkward sizes: 1, 50, 997, around a multiple of 64,
// empty, 10,000.
std::vector<types::RecordBatchPtr> ManyRows(const schema::TablePtr& t, int64_t rows) {
  const int64_t sizes[] = {1, 50, 997, 63, 64, 65, 0, 10'000};
  std::vector<types::RecordBatchPtr> batches;
  int64_t id = 0;
  for (size_t k = 0; id < rows; ++k) {
    const int64_t n = std::min(sizes[k % std::size(sizes)], rows - id);
    types::RecordBatchBuilder b(t->arrow_schema);
    for (int64_t i = 0; i < n; ++i, ++id) {
      b.column(0).Append<int64_t>(id);
      if (id % 7 == 0) {
        b.column(1).AppendNull();
      } else {
        b.column(1).AppendBytes("name-" + std::to_string(id));
      }
      b.column(2).Append<int64_t>(id * 1'000'001);
      uint8_t u[16] = {};
      std::memcpy(u + 8, &id, 8);
      b.column(3).AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      if (id % 5 == 0) {
        b.column(4).AppendNull();
      } else {
        b.column(4).child().Append<int64_t>(id);
        b.column(4).child().Append<int64_t>(-id);
        b.column(4).FinishList();
      }
      b.column(5).Append<double>(static_cast<double>(id) / 4);
    }
    auto batch = b.Finish();
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    batches.push_back(*batch);
  }
  return batches;
}

// What a user would check of a BigTable: count, sum, min and max of id, non-null names and
// tags, sum of f, and the rows of a few ids in full.
std::string Summary(plugin::DestinationPlugin& d, const schema::Table& t) {
  int64_t count = 0, sum = 0, min = INT64_MAX, max = INT64_MIN, names = 0, tags = 0;
  double f = 0;
  std::string picked;
  Status st = d.Read(t, [&](types::RecordBatchPtr b) {
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      const int64_t id = b->column(0).Value<int64_t>(r);
      ++count;
      sum += id;
      min = std::min(min, id);
      max = std::max(max, id);
      names += b->column(1).IsNull(r) ? 0 : 1;
      tags += b->column(4).IsNull(r) ? 0 : 1;
      f += b->column(5).Value<double>(r);
      if (id == 0 || id == 1 || id == 63 || id == 64 || id == 1111 || id == 25'000) {
        picked +=
            fmt::format("\n{}|{}|{}|{}|{}|{}", id, types::ValueToJson(b->column(1), r),
                        types::ValueToJson(b->column(2), r), types::ValueToJson(b->column(3), r),
                        types::ValueToJson(b->column(4), r), types::ValueToJson(b->column(5), r));
      }
    }
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", count, sum, min, max, names, tags, f) + picked;
}

TEST_P(DestinationConformance, WritesManyBatchesOfAwkwardSizesAcrossWrites) {
  auto d = Open();
  auto t = BigTable("conf_big");
  ASSERT_OK(d->Migrate({t}));
  const auto batches = ManyRows(t, 25'001);
  // Two writes, the second starting mid-chunk of any destination's statement size.
  const std::vector<types::RecordBatchPtr> first(batches.begin(), batches.begin() + 5);
  const std::vector<types::RecordBatchPtr> second(batches.begin() + 5, batches.end());
  ASSERT_OK(d->Write(*t, first));
  ASSERT_OK(d->Write(*t, second));
  // Rows 0 and 25000 (multiples of 5 and 7) have no tags; 0 and 63 no name.
  const std::string want =
      "25001|312512500|0|25000|21429|20000|78128125\n"
      R"(0|null|"1970-01-01T00:00:00.000000Z"|"00000000-0000-0000-0000-000000000000"|null|0)"
      "\n"
      R"(1|"name-1"|"1970-01-01T00:00:01.000001Z"|"00000000-0000-0000-0100-000000000000"|[1,-1]|0.25)"
      "\n"
      R"(63|null|"1970-01-01T00:01:03.000063Z"|"00000000-0000-0000-3f00-000000000000"|[63,-63]|15.75)"
      "\n"
      R"(64|"name-64"|"1970-01-01T00:01:04.000064Z"|"00000000-0000-0000-4000-000000000000"|[64,-64]|16)"
      "\n"
      R"(1111|"name-1111"|"1970-01-01T00:18:31.001111Z"|"00000000-0000-0000-5704-000000000000"|[1111,-1111]|277.75)"
      "\n"
      R"(25000|"name-25000"|"1970-01-01T06:56:40.025000Z"|"00000000-0000-0000-a861-000000000000"|null|6250)";
  EXPECT_EQ(Summary(*d, *t), want);
  // Rewriting everything in one call upserts: still 25,001 rows.
  ASSERT_OK(d->Write(*t, batches));
  EXPECT_EQ(Summary(*d, *t), want);
  // In append mode the same rows, twice, are twice as many.
  auto a = Open(WriteMode::kAppend);
  auto ta = BigTable("conf_big_append");
  ASSERT_OK(a->Migrate({ta}));
  ASSERT_OK(a->Write(*ta, ManyRows(ta, 25'001)));
  ASSERT_OK(a->Write(*ta, ManyRows(ta, 25'001)));
  EXPECT_TRUE(Summary(*a, *ta).starts_with("50002|625025000|0|25000|42858|40000|156256250\n"));
}

TEST_P(DestinationConformance, UpsertReplacesEveryNonKeyColumnAndTheLastDuplicateWins) {
  auto d = Open(WriteMode::kOverwrite);
  auto t =
      PlainTable("conf_upsert_all", {Col("id", types::int64(), true), Col("k", types::utf8(), true),
                                     Col("v", types::utf8()), Col("n", types::int64())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id":1,"k":"a","v":"one","n":1},
                                       {"id":2,"k":"a","v":"two","n":2}])")}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id":1,"k":"a","v":"ONE"},
                                       {"id":1,"k":"b","v":"other key"}])"),
                          Batch(t, R"([{"id":2,"k":"a","v":"first","n":20},
                                       {"id":2,"k":"a","v":"last","n":22}])")}));
  // Every non-key column is replaced (n becomes null for id 1); the last duplicate wins.
  EXPECT_EQ(ReadBack(*d, *t, {"id", "k", "v", "n"}),
            (std::vector<std::string>{R"({"id":1,"k":"a","v":"ONE","n":null})",
                                      R"({"id":1,"k":"b","v":"other key","n":null})",
                                      R"({"id":2,"k":"a","v":"last","n":22})"}));
}

TEST_P(DestinationConformance, UpsertOfATableOfOnlyKeyColumnsKeepsOneRowPerKey) {
  auto d = Open();
  auto t = PlainTable("conf_only_keys", {Col("id", types::int64(), true)});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id":1},{"id":1},{"id":2}])")}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id":1}])")}));
  EXPECT_EQ(ReadBack(*d, *t, {"id"}), (std::vector<std::string>{R"({"id":1})", R"({"id":2})"}));
}

TEST_P(DestinationConformance, DeleteStaleKeepsRowsAtOrAfterTheSyncTimeAndOtherSourcesRows) {
  auto d = Open();
  auto t = SimpleTable("conf_stale_edges");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Rows(t, R"([{"id":1}])", "2026-01-01T00:00:00Z", "a"),
                          Rows(t, R"([{"id":2}])", "2026-01-01T23:59:59.999999Z", "a"),
                          Rows(t, R"([{"id":3}])", "2026-01-02T00:00:00Z", "a"),
                          Rows(t, R"([{"id":4}])", "2026-01-01T00:00:00Z", "b"),
                          Rows(t, R"([{"id":5}])", "2026-01-02T00:00:00.000001Z", "a")}));
  auto deleted = d->DeleteStale(*t, "a", Micros("2026-01-02T00:00:00Z"));
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(
      ReadBack(*d, *t, {"id", "_cq_source_name", "_cq_sync_time"}),
      (std::vector<std::string>{
          R"({"id":3,"_cq_source_name":"a","_cq_sync_time":"2026-01-02T00:00:00.000000Z"})",
          R"({"id":4,"_cq_source_name":"b","_cq_sync_time":"2026-01-01T00:00:00.000000Z"})",
          R"({"id":5,"_cq_source_name":"a","_cq_sync_time":"2026-01-02T00:00:00.000001Z"})"}));
  deleted = d->DeleteStale(*t, "a", Micros("2026-01-02T00:00:00Z"));
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 0);
}

TEST_P(DestinationConformance, NotNullViolationNamesTableColumnAndRowAcrossBatchesAndLandsNothing) {
  auto d = Open();
  auto t = PlainTable("conf_not_null", {Col("id", types::int64(), true),
                                        Col("name", types::utf8(), false, /*not_null=*/true)});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id":-1,"name":"kept"}])")}));
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) rows.push_back({{"id", i}, {"name", "x"}});
  auto good = Batch(t, rows.dump());
  Status st = d->Write(*t, {good, good, Batch(t, R"([{"id":1000,"name":"a"},{"id":1001}])")});
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_EQ(st.message(), "table conf_not_null: column name, row 201: NOT NULL constraint failed");
  EXPECT_EQ(ReadBack(*d, *t, {"id", "name"}),
            std::vector<std::string>{R"({"id":-1,"name":"kept"})"});
}

TEST_P(DestinationConformance, EmptyWritesAndASecondCloseAreHarmless) {
  auto d = Open();
  auto t = SimpleTable("conf_empty");
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {}));
  ASSERT_OK(d->Write(*t, {Rows(t, "[]")}));
  ASSERT_OK(d->Close());
  ASSERT_OK(d->Close());
  EXPECT_TRUE(ReadBack(*Open(), *t, {"id"}).empty());
}

TEST_P(DestinationConformance, ReadOfAMissingTableYieldsNoBatchAndReadGivesBackWhatWasWritten) {
  auto d = Open(WriteMode::kAppend);
  auto t =
      PlainTable("conf_read_state", {Col("key", types::utf8(), true), Col("value", types::utf8()),
                                     Col("version", types::uint64())});
  int batches = 0;
  ASSERT_OK(d->Read(*t, [&](types::RecordBatchPtr) {
    ++batches;
    return Status::OK();
  }));
  EXPECT_EQ(batches, 0);  // no table yet: nothing, no error
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"key":"s:a","value":"1","version":18446744073709551615},)"
                                   R"({"key":"s:a","value":"2","version":7},)"
                                   R"({"key":"s:b","version":1}])")}));
  EXPECT_EQ(ReadBack(*d, *t, {"key", "value", "version"}),
            (std::vector<std::string>{R"({"key":"s:a","value":"1","version":18446744073709551615})",
                                      R"({"key":"s:a","value":"2","version":7})",
                                      R"({"key":"s:b","value":null,"version":1})"}));
  auto o = PlainTable("conf_read_other", {Col("i", types::int64()), Col("b", types::boolean()),
                                          Col("f", types::float64()), Col("ts", types::timestamp()),
                                          Col("u", types::uuid()), Col("d", types::date32()),
                                          Col("bin", types::binary()), Col("j", types::json())});
  ASSERT_OK(d->Migrate({o}));
  ASSERT_OK(d->Write(
      *o,
      {Batch(o, R"([{"i":-5,"b":true,"f":0.1,"ts":"2026-11-25T16:46:29.123456Z",)"
                R"("u":"0f8fad5b-d9cb-469f-a165-70867728950e","d":"2026-11-25","bin":"ab",)"
                R"("j":{"a":1}},{"b":false,"f":-1e300,"ts":"1970-01-01T00:00:00Z","bin":""}])")}));
  auto got = ReadBack(*d, *o, {"i", "b", "f", "ts", "u", "d", "bin", "j"});
  for (auto& g : got) g = Normalize(g);
  EXPECT_EQ(got, (std::vector<std::string>{
                     Normalize(R"({"i":-5,"b":true,"f":0.1,"ts":"2026-11-25T16:46:29.123456Z",)"
                               R"("u":"0f8fad5b-d9cb-469f-a165-70867728950e","d":"2026-11-25",)"
                               R"("bin":"YWI=","j":{"a":1}})"),
                     Normalize(R"({"i":null,"b":false,"f":-1e+300,)"
                               R"("ts":"1970-01-01T00:00:00.000000Z","u":null,"d":null,"bin":"",)"
                               R"("j":null})")}));
}

TEST_P(DestinationConformance, NamesWithQuotesSpacesCapitalsAndKeywordsRoundTrip) {
  auto d = Open(WriteMode::kOverwrite);
  auto t =
      PlainTable("My \"Table\"", {Col("Id", types::int64(), true), Col("say \"hi\"", types::utf8()),
                                  Col("select", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"Id":1,"say \"hi\"":"a","select":"b"}])")}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"Id":1,"say \"hi\"":"A","select":"B"}])")}));
  EXPECT_EQ(ReadBack(*d, *t, {"Id", "say \"hi\"", "select"}),
            std::vector<std::string>{R"({"Id":1,"say \"hi\"":"A","select":"B"})"});
  ASSERT_OK(d->Migrate({t}));  // unchanged: nothing to do
  auto t2 =
      PlainTable("My \"Table\"", {Col("Id", types::int64(), true), Col("say \"hi\"", types::utf8()),
                                  Col("select", types::utf8()), Col("New Col", types::utf8())});
  ASSERT_OK(d->Migrate({t2}));
  ASSERT_OK(d->Write(*t2, {Batch(t2, R"([{"Id":2,"New Col":"n"}])")}));
  EXPECT_EQ(ReadBack(*d, *t2, {"Id", "New Col"}),
            (std::vector<std::string>{R"({"Id":1,"New Col":null})", R"({"Id":2,"New Col":"n"})"}));
}

TEST_P(DestinationConformance, SyncLocksOfDifferentNamesDoNotConflict) {
  auto a = Open();
  auto b = Open();
  auto held = a->TryLock("sync src");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_TRUE(b->TryLock("sync other").ok());
  // Nor do names that differ only in characters a file name cannot hold, or very long ones.
  auto dots = a->TryLock("sync ../../x");
  ASSERT_TRUE(dots.ok()) << dots.status().ToString();
  EXPECT_TRUE(b->TryLock("sync ______x").ok());
  EXPECT_TRUE(b->TryLock("sync " + std::string(300, 'n')).ok());
}

}  // namespace
}  // namespace quarry::conformance
