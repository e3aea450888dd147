#include "plugins/source/postgresql/postgresql_source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plugins/common/pg_test_proxy.h"
#include "plugins/destination/postgresql/pg_test_server.h"
#include "quarry/testing/source_sync.h"
#include "quarry/testing/status.h"

namespace quarry::plugins {
namespace {

const auto* const kPg = ::testing::AddGlobalTestEnvironment(new pgtest::PgTestServer);

// Runs SQL on the test server (in database `db`), failing the test on an error.
void Sql(const std::string& sql, const std::string& dsn = pgtest::PgTestServer::Dsn()) {
  const std::string out = pgtest::Query(dsn, sql);
  ASSERT_FALSE(out.starts_with("error:")) << out << "\n" << sql;
}

// A schema of the test's own, empty.
void FreshSchema(const std::string& schema) {
  Sql(fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema));
}

// A database of the test's own, empty; returns its DSN.
std::string FreshDatabase(const std::string& db) {
  Sql(fmt::format("DROP DATABASE IF EXISTS {}", db));
  Sql(fmt::format("CREATE DATABASE {}", db));
  std::string dsn = pgtest::PgTestServer::Dsn();
  const auto at = dsn.find("dbname=");
  if (at == std::string::npos) return dsn + " dbname=" + db;
  const auto end = dsn.find(' ', at);
  return dsn.substr(0, at) + "dbname=" + db + (end == std::string::npos ? "" : dsn.substr(end));
}

// Records, per table, its rows (JSON without the _cq_* columns) and checkpoints, in the order
// they were sent.
using testing::CollectingSink;
using testing::Describe;

// The source's spec with the test server's connection string.
nlohmann::json Spec(nlohmann::json extra = nlohmann::json::object()) {
  extra["connection_string"] = pgtest::PgTestServer::Dsn();
  return extra;
}

Status SyncAll(const nlohmann::json& spec, CollectingSink& sink,
               std::map<std::string, std::string> state = {}) {
  auto src = NewPostgresqlSource();
  return testing::SyncAll(*src, spec, sink, std::move(state), "pg");
}

std::string Json(std::string_view text) { return nlohmann::json::parse(text).dump(); }

constexpr const char* kEveryType = R"(
  CREATE TYPE {0}.mood AS ENUM ('sad', 'happy');
  CREATE DOMAIN {0}.positive AS integer CHECK (VALUE > 0);
  CREATE TABLE {0}.every (
    id integer PRIMARY KEY, b boolean, s smallint, i integer NOT NULL, l bigint, r real,
    d double precision, n numeric(12,3), t text, v varchar(10), c char(3), raw bytea,
    ts timestamp, tstz timestamptz, day date, u uuid, j json, jb jsonb, ip inet, net cidr,
    m macaddr, ints integer[], texts text[], nums numeric[], stamps timestamptz[], mo {0}.mood,
    moods {0}.mood[], iv interval, pos {0}.positive);
)";

TEST(PostgresqlSourceTest, DiscoversTablesViewsTypesAndKeys) {
  const std::string dsn = FreshDatabase("pgsrc_discovery");
  Sql(fmt::format(kEveryType, "public"), dsn);
  Sql(R"(
    CREATE TABLE pairs (b text NOT NULL, a integer, v text, PRIMARY KEY (a, b));
    CREATE VIEW every_view AS SELECT id, t FROM every;
    CREATE MATERIALIZED VIEW every_mat AS SELECT id FROM every;
    CREATE SCHEMA sales;
    CREATE TABLE sales.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric);
    CREATE TABLE sales.parted (id int, at date) PARTITION BY RANGE (at);
    CREATE TABLE sales.parted_2024 PARTITION OF sales.parted
      FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    ALTER TABLE pairs DROP COLUMN v;
  )",
      dsn);
  auto src = NewPostgresqlSource();
  ASSERT_OK(src->Configure({{"connection_string", dsn}}));
  auto tables = src->Tables();
  ASSERT_OK(tables);
  std::map<std::string, schema::TablePtr> by_name;
  std::vector<std::string> names;
  for (const auto& t : *tables) {
    names.push_back(t->name);
    by_name[t->name] = t;
  }
  // Public tables keep their names, others are schema_table; partitions are read through their
  // parent.
  EXPECT_EQ(names, (std::vector<std::string>{"every", "every_mat", "every_view", "pairs",
                                             "sales_orders", "sales_parted"}));
  EXPECT_EQ(Describe(*by_name["every"]), (std::vector<std::string>{
                                             "id int32 pk not null",
                                             "b bool",
                                             "s int16",
                                             "i int32 not null",
                                             "l int64",
                                             "r float",
                                             "d double",
                                             "n utf8",
                                             "t utf8",
                                             "v utf8",
                                             "c utf8",
                                             "raw binary",
                                             "ts timestamp[us, tz=UTC]",
                                             "tstz timestamp[us, tz=UTC]",
                                             "day date32",
                                             "u uuid",
                                             "j json",
                                             "jb json",
                                             "ip inet",
                                             "net inet",
                                             "m mac",
                                             "ints list<int32>",
                                             "texts list<utf8>",
                                             "nums list<utf8>",
                                             "stamps list<timestamp[us, tz=UTC]>",
                                             "mo utf8",
                                             "moods utf8",
                                             "iv utf8",
                                             "pos int32",
                                         }));
  EXPECT_EQ(Describe(*by_name["every_view"]), (std::vector<std::string>{"id int32", "t utf8"}));
  EXPECT_EQ(Describe(*by_name["pairs"]),
            (std::vector<std::string>{"b utf8 pk not null", "a int32 pk not null"}));
  EXPECT_EQ(by_name["pairs"]->PrimaryKeys(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(Describe(*by_name["sales_orders"]),
            (std::vector<std::string>{"id int64 pk not null", "total utf8"}));

  // `schemas` narrows discovery.
  auto only = NewPostgresqlSource();
  ASSERT_OK(only->Configure({{"connection_string", dsn}, {"schemas", {"sales"}}}));
  auto sales = only->Tables();
  ASSERT_OK(sales);
  ASSERT_EQ(sales->size(), 2u);
  EXPECT_EQ((*sales)[0]->name, "sales_orders");
}

TEST(PostgresqlSourceTest, IncrementalTableAndCursorColumnAreMarked) {
  FreshSchema("pgsrc_mark");
  Sql("CREATE TABLE pgsrc_mark.a (id int PRIMARY KEY, updated_at timestamptz);"
      "CREATE TABLE pgsrc_mark.b (id int PRIMARY KEY)");
  auto src = NewPostgresqlSource();
  ASSERT_OK(src->Configure(
      Spec({{"schemas", {"pgsrc_mark"}}, {"incremental", {{"pgsrc_mark.a", "updated_at"}}}})));
  auto tables = src->Tables();
  ASSERT_OK(tables);
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_TRUE((*tables)[0]->is_incremental);
  EXPECT_EQ(Describe(*(*tables)[0]), (std::vector<std::string>{
                                         "id int32 pk not null",
                                         "updated_at timestamp[us, tz=UTC] cursor",
                                     }));
  EXPECT_FALSE((*tables)[1]->is_incremental);
  // The Quarry name works as a key too.
  auto by_quarry_name = NewPostgresqlSource();
  ASSERT_OK(by_quarry_name->Configure(
      Spec({{"schemas", {"pgsrc_mark"}}, {"incremental", {{"pgsrc_mark_b", "id"}}}})));
  auto again = by_quarry_name->Tables();
  ASSERT_OK(again);
  EXPECT_TRUE((*again)[1]->is_incremental);
}

TEST(PostgresqlSourceTest, FullSyncReadsEveryTypeOfValue) {
  FreshSchema("pgsrc_full");
  Sql(fmt::format(kEveryType, "pgsrc_full"));
  Sql(R"(
    INSERT INTO pgsrc_full.every VALUES
      (1, true, -32768, 2147483647, 9007199254740993, 1.5, 0.30000000000000004, 12345.678,
       'widget "w" ü', 'short', 'ab', '\x0001ff', '2024-05-06 07:08:09.123456',
       '2024-05-06 09:08:09.5+02', '2024-02-29', '0b6a2cf4-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
       '{"a": [1, 2]}', '{"b": null, "a": 1}', '10.0.0.1', '10.1.0.0/16', '08:00:2b:01:02:03',
       '{1, NULL, 3}', '{"x", "y,z"}', '{1.50, NULL}', '{"1999-12-31 23:59:59+00"}', 'happy',
       '{sad,happy}', '1 day 02:03:04', 7),
      (2, false, 0, 0, -1, -0.25, -1e300, -0.001, '', '', '', '\x', '1970-01-01 00:00:00',
       '1969-12-31 23:59:59.999999+00', '1900-01-01', '00000000-0000-0000-0000-000000000000',
       '[]', '[]', '::1', '::/0', '00:00:00:00:00:00', '{}', '{}', '{}', '{}', 'sad', '{}',
       '0', 1),
      (3, NULL, NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE VIEW pgsrc_full.every_view AS SELECT id, t FROM pgsrc_full.every WHERE id < 3;
  )");
  CollectingSink sink;
  Status st = SyncAll(Spec({{"schemas", {"pgsrc_full"}}, {"concurrency", 2}}), sink);
  ASSERT_OK(st);
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  auto rows = sink.Rows("pgsrc_full_every");
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) {
    return nlohmann::json::parse(a)["id"] < nlohmann::json::parse(b)["id"];
  });
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], Json(R"({"id":1,"b":true,"s":-32768,"i":2147483647,"l":9007199254740993,
      "r":1.5,"d":0.30000000000000004,"n":"12345.678","t":"widget \"w\" ü","v":"short",
      "c":"ab ","raw":"AAH/","ts":"2024-05-06T07:08:09.123456Z",
      "tstz":"2024-05-06T07:08:09.500000Z","day":"2024-02-29",
      "u":"0b6a2cf4-5e6f-4a1b-8c2d-3e4f5a6b7c8d","j":{"a":[1,2]},"jb":{"a":1,"b":null},
      "ip":"10.0.0.1/32","net":"10.1.0.0/16","m":"08:00:2b:01:02:03","ints":[1,null,3],
      "texts":["x","y,z"],"nums":["1.50",null],"stamps":["1999-12-31T23:59:59.000000Z"],
      "mo":"happy","moods":"{sad,happy}","iv":"1 day 02:03:04","pos":7})"));
  EXPECT_EQ(rows[1], Json(R"({"id":2,"b":false,"s":0,"i":0,"l":-1,"r":-0.25,"d":-1e300,
      "n":"-0.001","t":"","v":"","c":"   ","raw":"","ts":"1970-01-01T00:00:00.000000Z",
      "tstz":"1969-12-31T23:59:59.999999Z","day":"1900-01-01",
      "u":"00000000-0000-0000-0000-000000000000","j":[],"jb":[],"ip":"::1/128","net":"::/0",
      "m":"00:00:00:00:00:00","ints":[],"texts":[],"nums":[],"stamps":[],"mo":"sad",
      "moods":"{}","iv":"00:00:00","pos":1})"));
  EXPECT_EQ(rows[2], Json(R"({"id":3,"b":null,"s":null,"i":1,"l":null,"r":null,"d":null,
      "n":null,"t":null,"v":null,"c":null,"raw":null,"ts":null,"tstz":null,"day":null,"u":null,
      "j":null,"jb":null,"ip":null,"net":null,"m":null,"ints":null,"texts":null,"nums":null,
      "stamps":null,"mo":null,"moods":null,"iv":null,"pos":null})"));
  auto view = sink.Rows("pgsrc_full_every_view");
  std::sort(view.begin(), view.end());
  EXPECT_EQ(view, (std::vector<std::string>{Json(R"({"id":1,"t":"widget \"w\" ü"})"),
                                            Json(R"({"id":2,"t":""})")}));
  // Full tables send no checkpoints.
  for (const auto& [table, events] : sink.AllEvents()) {
    for (const auto& e : events) EXPECT_FALSE(e.starts_with("checkpoint")) << table;
  }
}

TEST(PostgresqlSourceTest, MultiDimensionalArraysAreFlattened) {
  FreshSchema("pgsrc_arr");
  Sql("CREATE TABLE pgsrc_arr.a (id int, m int[]);"
      "INSERT INTO pgsrc_arr.a VALUES (1, '{{1,2},{3,NULL}}')");
  CollectingSink sink;
  ASSERT_OK(SyncAll(Spec({{"schemas", {"pgsrc_arr"}}}), sink));
  EXPECT_EQ(sink.Rows("pgsrc_arr_a"),
            std::vector<std::string>{Json(R"({"id":1,"m":[1,2,3,null]})")});
}

TEST(PostgresqlSourceTest, IncrementalFirstRunCheckpointsAfterEachChunk) {
  FreshSchema("pgsrc_inc1");
  Sql("CREATE TABLE pgsrc_inc1.events (id int PRIMARY KEY, payload text);"
      "INSERT INTO pgsrc_inc1.events SELECT i, 'e' || i FROM generate_series(10, 1, -1) i");
  CollectingSink sink;
  Status st = SyncAll(Spec({{"schemas", {"pgsrc_inc1"}},
                            {"chunk_size", 3},
                            {"incremental", {{"pgsrc_inc1.events", "id"}}}}),
                      sink);
  ASSERT_OK(st);
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  EXPECT_EQ(sink.Brief("pgsrc_inc1_events", "id"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 3", "4", "5", "6", "checkpoint 6",
                                      "7", "8", "9", "checkpoint 9", "10", "checkpoint 10"}));
}

TEST(PostgresqlSourceTest, IncrementalNextRunReadsOnlyRowsAfterTheSavedCursor) {
  FreshSchema("pgsrc_inc2");
  Sql("CREATE TABLE pgsrc_inc2.events (id int PRIMARY KEY, payload text);"
      "INSERT INTO pgsrc_inc2.events SELECT i, 'e' || i FROM generate_series(1, 12) i");
  const auto spec = Spec({{"schemas", {"pgsrc_inc2"}},
                          {"chunk_size", 3},
                          {"incremental", {{"pgsrc_inc2.events", "id"}}}});
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink, {{"pgsrc_inc2_events", "10"}}));
  EXPECT_EQ(sink.Brief("pgsrc_inc2_events", "id"),
            (std::vector<std::string>{"11", "12", "checkpoint 12"}));
  EXPECT_EQ(sink.Rows("pgsrc_inc2_events")[0], Json(R"({"id":11,"payload":"e11"})"));

  CollectingSink again;
  ASSERT_OK(SyncAll(spec, again, {{"pgsrc_inc2_events", "12"}}));
  EXPECT_TRUE(again.Events("pgsrc_inc2_events").empty());
  EXPECT_TRUE(again.Errors().empty());

  Sql("INSERT INTO pgsrc_inc2.events VALUES (13, 'e13'), (14, 'e14')");
  CollectingSink third;
  ASSERT_OK(SyncAll(spec, third, {{"pgsrc_inc2_events", "12"}}));
  EXPECT_EQ(third.Brief("pgsrc_inc2_events", "id"),
            (std::vector<std::string>{"13", "14", "checkpoint 14"}));
}

TEST(PostgresqlSourceTest, TiesAcrossAChunkBoundaryAreNotSplit) {
  FreshSchema("pgsrc_ties");
  Sql("CREATE TABLE pgsrc_ties.log (seq int PRIMARY KEY, v int);"
      "INSERT INTO pgsrc_ties.log VALUES (3, 1), (1, 1), (2, 1), (5, 2), (4, 2), (6, NULL)");
  const auto spec = Spec(
      {{"schemas", {"pgsrc_ties"}}, {"chunk_size", 2}, {"incremental", {{"pgsrc_ties.log", "v"}}}});
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  // Rows sharing a cursor value come in primary key order; rows without a cursor never come.
  EXPECT_EQ(sink.Brief("pgsrc_ties_log", "seq"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 1", "4", "5", "checkpoint 2"}));
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"pgsrc_ties_log", "1"}}));
  EXPECT_EQ(next.Brief("pgsrc_ties_log", "seq"),
            (std::vector<std::string>{"4", "5", "checkpoint 2"}));
}

TEST(PostgresqlSourceTest, TimestampCursorResumesAfterTheSavedValue) {
  FreshSchema("pgsrc_ts");
  Sql(R"(
    CREATE TABLE pgsrc_ts.orders (id int PRIMARY KEY, updated_at timestamptz);
    INSERT INTO pgsrc_ts.orders VALUES (1, '2024-01-03 00:00:00+00'), (2, '2024-01-01 00:00:00+00'),
                                       (3, '2024-01-02 02:00:00+02'), (4, '2024-01-02 00:00:00Z');
  )");
  const auto spec = Spec({{"schemas", {"pgsrc_ts"}},
                          {"chunk_size", 3},
                          {"incremental", {{"pgsrc_ts.orders", "updated_at"}}}});
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Brief("pgsrc_ts_orders", "id"),
            (std::vector<std::string>{"2", "3", "4", "checkpoint 2024-01-02 00:00:00+00", "1",
                                      "checkpoint 2024-01-03 00:00:00+00"}));
  Sql("UPDATE pgsrc_ts.orders SET updated_at = '2024-01-04 00:00:00.25+00' WHERE id = 2");
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"pgsrc_ts_orders", "2024-01-03 00:00:00+00"}}));
  EXPECT_EQ(next.Brief("pgsrc_ts_orders", "id"),
            (std::vector<std::string>{"2", "checkpoint 2024-01-04 00:00:00.25+00"}));
}

TEST(PostgresqlSourceTest, DoubleCursorIsSavedExactly) {
  FreshSchema("pgsrc_real");
  Sql("CREATE TABLE pgsrc_real.m (id int PRIMARY KEY, x double precision);"
      "INSERT INTO pgsrc_real.m VALUES (1, 0.1), (2, 0.1::float8 + 0.2::float8), (3, 0.2)");
  const auto spec = Spec({{"schemas", {"pgsrc_real"}}, {"incremental", {{"pgsrc_real.m", "x"}}}});
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Brief("pgsrc_real_m", "id"),
            (std::vector<std::string>{"1", "3", "2", "checkpoint 0.30000000000000004"}));
  CollectingSink same;
  ASSERT_OK(SyncAll(spec, same, {{"pgsrc_real_m", "0.30000000000000004"}}));
  EXPECT_TRUE(same.Events("pgsrc_real_m").empty());
  CollectingSink rounded;
  ASSERT_OK(SyncAll(spec, rounded, {{"pgsrc_real_m", "0.3"}}));
  EXPECT_EQ(rounded.Brief("pgsrc_real_m", "id"),
            (std::vector<std::string>{"2", "checkpoint 0.30000000000000004"}));
}

// The cursor is selected as text too; ordering and bounds still use the column's own type.
TEST(PostgresqlSourceTest, NumericCursorOrdersAsANumber) {
  FreshSchema("pgsrc_num");
  Sql("CREATE TABLE pgsrc_num.p (id int PRIMARY KEY, price numeric);"
      "INSERT INTO pgsrc_num.p VALUES (1, 100), (2, 9.5), (3, 10), (4, 10.00), (5, 1e3)");
  const auto spec = Spec(
      {{"schemas", {"pgsrc_num"}}, {"chunk_size", 1}, {"incremental", {{"pgsrc_num.p", "price"}}}});
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  EXPECT_EQ(sink.Brief("pgsrc_num_p", "id"),
            (std::vector<std::string>{"2", "checkpoint 9.5", "3", "4", "checkpoint 10.00", "1",
                                      "checkpoint 100", "5", "checkpoint 1000"}));
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"pgsrc_num_p", "10"}}));
  EXPECT_EQ(next.Brief("pgsrc_num_p", "id"),
            (std::vector<std::string>{"1", "checkpoint 100", "5", "checkpoint 1000"}));
}

TEST(PostgresqlSourceTest, PartitionedTablesAndMaterializedViewsAreRead) {
  FreshSchema("pgsrc_part");
  Sql(R"(
    CREATE TABLE pgsrc_part.m (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE pgsrc_part.m_2023 PARTITION OF pgsrc_part.m
      FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    CREATE TABLE pgsrc_part.m_2024 PARTITION OF pgsrc_part.m
      FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    INSERT INTO pgsrc_part.m VALUES (1, '2023-05-01'), (2, '2024-05-01'), (3, '2024-06-01');
    CREATE MATERIALIZED VIEW pgsrc_part.mv AS SELECT count(*) AS n FROM pgsrc_part.m;
  )");
  CollectingSink sink;
  ASSERT_OK(SyncAll(Spec({{"schemas", {"pgsrc_part"}}, {"incremental", {{"pgsrc_part.m", "at"}}}}),
                    sink));
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  EXPECT_EQ(sink.Brief("pgsrc_part_m", "id"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 2024-06-01"}));
  EXPECT_EQ(sink.Rows("pgsrc_part_mv"), std::vector<std::string>{Json(R"({"n":3})")});
  EXPECT_TRUE(sink.Rows("pgsrc_part_m_2023").empty());
}

// Every chunk of an incremental table, and every other table, reads the snapshot the sync
// started with: rows written meanwhile wait for the next run.
TEST(PostgresqlSourceTest, SyncReadsOneSnapshotWhileTheDatabaseChanges) {
  FreshSchema("pgsrc_snap");
  Sql(R"(
    CREATE TABLE pgsrc_snap.a_inc (id int PRIMARY KEY, c int);
    INSERT INTO pgsrc_snap.a_inc VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5);
    CREATE TABLE pgsrc_snap.z_full (id int PRIMARY KEY);
    INSERT INTO pgsrc_snap.z_full VALUES (1), (2);
  )");
  CollectingSink sink;
  sink.on_checkpoint = [&](const message::Checkpoint& cp) {
    if (cp.value != "2") return;
    Sql("INSERT INTO pgsrc_snap.a_inc VALUES (6, 6), (7, 0);"
        "UPDATE pgsrc_snap.a_inc SET c = 10 WHERE id = 3;"
        "INSERT INTO pgsrc_snap.z_full VALUES (3)");
  };
  const auto spec = Spec({{"schemas", {"pgsrc_snap"}},
                          {"chunk_size", 2},
                          {"concurrency", 1},
                          {"incremental", {{"pgsrc_snap.a_inc", "c"}}}});
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Brief("pgsrc_snap_a_inc", "id"),
            (std::vector<std::string>{"1", "2", "checkpoint 2", "3", "4", "checkpoint 4", "5",
                                      "checkpoint 5"}));
  EXPECT_EQ(sink.Rows("pgsrc_snap_z_full").size(), 2u);
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"pgsrc_snap_a_inc", "5"}}));
  EXPECT_EQ(next.Brief("pgsrc_snap_a_inc", "id"),
            (std::vector<std::string>{"6", "3", "checkpoint 10"}));
  EXPECT_EQ(next.Rows("pgsrc_snap_z_full").size(), 3u);
}

// A connection lost mid-sync fails the table with the server's reason; no checkpoint follows
// the rows read before.
TEST(PostgresqlSourceTest, LostConnectionFailsTheTableAfterItsLastCheckpoint) {
  FreshSchema("pgsrc_kill");
  Sql("CREATE TABLE pgsrc_kill.t (id int PRIMARY KEY);"
      "INSERT INTO pgsrc_kill.t SELECT generate_series(1, 10)");
  CollectingSink sink;
  sink.on_checkpoint = [&](const message::Checkpoint& cp) {
    if (cp.value != "3") return;
    Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND query LIKE '%pgsrc\\_kill%'");
  };
  Status st = SyncAll(Spec({{"schemas", {"pgsrc_kill"}},
                            {"chunk_size", 3},
                            {"incremental", {{"pgsrc_kill.t", "id"}}}}),
                      sink);
  // The coordinating connection (it discovered the schema) is gone too: the sync fails.
  EXPECT_TRUE(st.message().starts_with("postgresql source: end snapshot: ")) << st.message();
  ASSERT_EQ(sink.Errors().size(), 1u);
  EXPECT_TRUE(sink.Errors()[0].starts_with(
      "pgsrc_kill_t: postgresql source: table pgsrc_kill_t: find chunk: "))
      << sink.Errors()[0];
  EXPECT_EQ(sink.Brief("pgsrc_kill_t", "id"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 3"}));
}

TEST(PostgresqlSourceTest, ManyRowsComeInChunksOfTheDefaultSize) {
  FreshSchema("pgsrc_big");
  Sql("CREATE TABLE pgsrc_big.big (id int PRIMARY KEY, v text);"
      "INSERT INTO pgsrc_big.big SELECT i, 'v' || i FROM generate_series(1, 25000) i");
  CollectingSink sink;
  ASSERT_OK(SyncAll(Spec({{"schemas", {"pgsrc_big"}}, {"incremental", {{"pgsrc_big.big", "id"}}}}),
                    sink));
  std::vector<std::string> checkpoints;
  int64_t rows = 0, last = 0;
  bool ordered = true;
  for (const auto& e : sink.Events("pgsrc_big_big")) {
    if (e.starts_with("checkpoint ")) {
      checkpoints.push_back(e.substr(11));
      continue;
    }
    const int64_t id = nlohmann::json::parse(e)["id"].get<int64_t>();
    ordered = ordered && id == last + 1;
    last = id;
    ++rows;
  }
  EXPECT_EQ(rows, 25000);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(checkpoints, (std::vector<std::string>{"10000", "20000", "25000"}));
}

// Whatever the chunk size and however many rows share a cursor value, every row with a cursor
// comes exactly once, and each checkpoint comes after every row at or below it and before every
// row above it: a run resumed from any checkpoint loses nothing.
TEST(PostgresqlSourceTest, CheckpointsNeverSplitTiesWhateverTheChunkSize) {
  FreshSchema("pgsrc_rand");
  uint64_t x = 42;
  auto next = [&] { return (x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  std::map<int64_t, int64_t> cursor_of;  // id -> cursor
  std::string insert = "INSERT INTO pgsrc_rand.t VALUES ";
  for (int64_t id = 1; id <= 300; ++id) {
    const int64_t c = static_cast<int64_t>(next() % 40);
    cursor_of[id] = c;
    insert += fmt::format("{}({}, {})", id == 1 ? "" : ", ", id, c);
  }
  Sql("CREATE TABLE pgsrc_rand.t (id int PRIMARY KEY, c int);" + insert);
  for (int chunk : {1, 2, 3, 5, 7, 16, 299, 300, 301}) {
    SCOPED_TRACE(fmt::format("chunk_size {}", chunk));
    CollectingSink sink;
    ASSERT_OK(SyncAll(Spec({{"schemas", {"pgsrc_rand"}},
                            {"chunk_size", chunk},
                            {"incremental", {{"pgsrc_rand.t", "c"}}}}),
                      sink));
    ASSERT_TRUE(sink.Errors().empty());
    std::map<int64_t, int> seen;
    int64_t last_checkpoint = -1;
    for (const auto& e : sink.Events("pgsrc_rand_t")) {
      if (e.starts_with("checkpoint ")) {
        const int64_t cp = std::stoll(e.substr(11));
        EXPECT_GT(cp, last_checkpoint);
        for (const auto& [id, c] : cursor_of) {
          EXPECT_EQ(seen.count(id), c <= cp ? 1u : 0u) << "id " << id << " at checkpoint " << cp;
        }
        last_checkpoint = cp;
      } else {
        ++seen[nlohmann::json::parse(e)["id"].get<int64_t>()];
      }
    }
    EXPECT_EQ(seen.size(), cursor_of.size());
    for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << "id " << id;
    EXPECT_EQ(last_checkpoint, 39);
  }
}

TEST(PostgresqlSourceTest, ValueThatDoesNotFitNamesTableColumnAndRow) {
  FreshSchema("pgsrc_bad");
  Sql("CREATE TABLE pgsrc_bad.times (id int PRIMARY KEY, at timestamp);"
      "INSERT INTO pgsrc_bad.times VALUES (1, '2024-01-01'), (2, 'infinity')");
  CollectingSink sink;
  ASSERT_OK(SyncAll(Spec({{"schemas", {"pgsrc_bad"}}}), sink));
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{
                               "pgsrc_bad_times: table pgsrc_bad_times: column at, row 2: infinity "
                               "is not a valid timestamp"});
}

TEST(PostgresqlSourceTest, TimestampPastWhatMicrosecondsSince1970CanHoldIsRefusedNotWrapped) {
  // PostgreSQL's last timestamp would wrap around to year 0000 if added to the epoch unchecked.
  FreshSchema("pgsrc_late");
  Sql("CREATE TABLE pgsrc_late.times (id int PRIMARY KEY, at timestamp);"
      "INSERT INTO pgsrc_late.times VALUES (1, '294247-01-10 04:00:54.775807'),"
      " (2, '294276-12-31 23:59:59.999999')");
  CollectingSink sink;
  ASSERT_OK(SyncAll(Spec({{"schemas", {"pgsrc_late"}}}), sink));
  EXPECT_EQ(sink.Errors(),
            std::vector<std::string>{
                "pgsrc_late_times: table pgsrc_late_times: column at, row 2: timestamp after "
                "294247-01-10 04:00:54.775807 UTC, which microseconds since 1970 in 64 bits "
                "(Quarry's timestamp type) cannot hold"});
}

TEST(PostgresqlSourceTest, SavedCursorOfTheWrongTypeIsATableError) {
  FreshSchema("pgsrc_wrong");
  Sql("CREATE TABLE pgsrc_wrong.t (id int PRIMARY KEY); INSERT INTO pgsrc_wrong.t VALUES (1)");
  CollectingSink sink;
  ASSERT_OK(
      SyncAll(Spec({{"schemas", {"pgsrc_wrong"}}, {"incremental", {{"pgsrc_wrong.t", "id"}}}}),
              sink, {{"pgsrc_wrong_t", "2024-01-01"}}));
  EXPECT_EQ(sink.Errors(),
            std::vector<std::string>{
                "pgsrc_wrong_t: table pgsrc_wrong_t: saved cursor \"2024-01-01\" is not a valid "
                "integer for column id (reset the state of this table to sync it from the start)"});
  EXPECT_TRUE(sink.Rows("pgsrc_wrong_t").empty());
}

std::string ConfigureError(const nlohmann::json& spec) {
  return NewPostgresqlSource()->Configure(spec).message();
}

std::string TablesError(const nlohmann::json& spec) {
  auto src = NewPostgresqlSource();
  Status st = src->Configure(spec);
  if (!st.ok()) return "Configure: " + st.message();
  return src->Tables().status().message();
}

TEST(PostgresqlSourceTest, ConfigErrorsNameTheOption) {
  EXPECT_EQ(
      ConfigureError(nlohmann::json::object()),
      "spec.connection_string: required (a libpq connection string, such as "
      "\"host=localhost dbname=shop user=reader\" or \"postgresql://reader@localhost/shop\")");
  EXPECT_EQ(ConfigureError({{"connection_string", "host=x"}, {"chunk_size", 0}}),
            "spec.chunk_size: must be at least 1, got 0");
  EXPECT_EQ(ConfigureError(
                {{"connection_string", "host=x"}, {"incremental", nlohmann::json::array({"t"})}}),
            "spec.incremental: expected a mapping of table name to cursor column, got [\"t\"]");
  EXPECT_EQ(ConfigureError({{"connection_string", "host=x"}, {"incremental", {{"t", 3}}}}),
            "spec.incremental.t: expected the name of the cursor column, got 3");
  EXPECT_NE(
      ConfigureError({{"connection_string", "host=x"}, {"schemas", "public"}}).find("spec.schemas"),
      std::string::npos);
  EXPECT_NE(ConfigureError({{"connection_string", "host=x"}, {"incremntal", {{"t", "c"}}}})
                .find("spec.incremntal: unknown option"),
            std::string::npos);
  EXPECT_EQ(
      ConfigureError(
          {{"connection_string", "host=x"}, {"connect_timeout", "10s"}, {"stall_timeout", "1m"}}),
      "");
  EXPECT_TRUE(ConfigureError({{"connection_string", "host=x"}, {"stall_timeout", "later"}})
                  .starts_with("spec.stall_timeout: "));

  FreshSchema("pgsrc_cfg");
  Sql("CREATE TABLE pgsrc_cfg.t (id int PRIMARY KEY, name text, doc jsonb)");
  const auto spec = [](nlohmann::json inc) {
    return Spec({{"schemas", {"pgsrc_cfg"}}, {"incremental", std::move(inc)}});
  };
  EXPECT_EQ(TablesError(spec({{"pgsrc_cfg.nope", "id"}})),
            "spec.incremental.pgsrc_cfg.nope: no table pgsrc_cfg.nope (write schema.table, or "
            "the table name for tables in public)");
  EXPECT_EQ(TablesError(spec({{"pgsrc_cfg.t", "updated"}})),
            "spec.incremental.pgsrc_cfg.t: table pgsrc_cfg.t has no column updated (columns: id, "
            "name, doc)");
  EXPECT_EQ(TablesError(spec({{"pgsrc_cfg.t", "doc"}})),
            "spec.incremental.pgsrc_cfg.t: cursor column doc is jsonb, which cannot hold a "
            "cursor; use an integer, numeric, text, date or timestamp column");
}

TEST(PostgresqlSourceTest, ConnectionErrorsSayWhat) {
  const std::string bad = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=5";
  const std::string err = TablesError({{"connection_string", bad}});
  EXPECT_TRUE(
      err.starts_with("postgresql source: connect: connection to server at \"127.0.0.1\", "
                      "port 1 failed"))
      << err;
  auto src = NewPostgresqlSource();
  ASSERT_OK(src->Configure({{"connection_string", bad}}));
  Logger logger;
  EXPECT_TRUE(src->Init({&logger}).message().starts_with("postgresql source: connect: "));
  EXPECT_TRUE(TablesError({{"connection_string", "not a dsn"}})
                  .starts_with("postgresql source: connect: "));
}

// A server that stops answering mid-sync (as one sent SIGSTOP) fails the table after
// stall_timeout, after its last checkpoint, and then the sync; a new connection gives up after
// connect_timeout.
TEST(PostgresqlSourceTest, StalledServerFailsTheTableAfterTheStallTimeout) {
  using Clock = std::chrono::steady_clock;
  FreshSchema("pgsrc_stall");
  Sql("CREATE TABLE pgsrc_stall.t (id int PRIMARY KEY);"
      "INSERT INTO pgsrc_stall.t SELECT generate_series(1, 10)");
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  CollectingSink sink;
  sink.on_checkpoint = [&](const message::Checkpoint& cp) {
    if (cp.value == "3") proxy.Freeze();
  };
  const auto start = Clock::now();
  Status st = SyncAll({{"connection_string", proxy.Dsn()},
                       {"schemas", {"pgsrc_stall"}},
                       {"chunk_size", 3},
                       {"incremental", {{"pgsrc_stall.t", "id"}}},
                       {"connect_timeout", "2s"},
                       {"stall_timeout", "1s"}},
                      sink);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string stalled =
      "no answer from the PostgreSQL server for 1s (stall_timeout); is it overloaded or stopped?";
  // The coordinating connection waits on the same server: the sync fails too.
  EXPECT_EQ(st.message(), "postgresql source: end snapshot: " + stalled);
  ASSERT_EQ(sink.Errors().size(), 1u);
  EXPECT_EQ(sink.Errors()[0],
            "pgsrc_stall_t: postgresql source: table pgsrc_stall_t: find chunk: " + stalled);
  EXPECT_EQ(sink.Brief("pgsrc_stall_t", "id"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 3"}));
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 8);

  auto src = NewPostgresqlSource();
  ASSERT_OK(src->Configure({{"connection_string", proxy.Dsn()}, {"connect_timeout", "2s"}}));
  const std::string err = src->Tables().status().message();
  EXPECT_TRUE(err.starts_with("postgresql source: connect: connection to server at \"127.0.0.1\""))
      << err;
  EXPECT_TRUE(
      err.ends_with("no answer within 2s (connect_timeout); is the server overloaded or stopped?"))
      << err;
  proxy.Thaw();
}

TEST(PostgresqlSourceTest, TablesThatWouldShareANameAreRejected) {
  FreshSchema("pgsrc_nm");
  FreshSchema("pgsrc_nm_a");
  Sql("CREATE TABLE pgsrc_nm.a_b (id int); CREATE TABLE pgsrc_nm_a.b (id int)");
  EXPECT_EQ(TablesError(Spec({{"schemas", {"pgsrc_nm", "pgsrc_nm_a"}}})),
            "postgresql source: tables pgsrc_nm.a_b and pgsrc_nm_a.b would both be named "
            "pgsrc_nm_a_b; rename one, or leave its schema out with spec.schemas");
}

TEST(PostgresqlSourceTest, AnyNamePostgresqlAllowsSyncsInFullAndIncrementally) {
  const std::string dsn = FreshDatabase("pgsrc_odd");
  Sql(R"(
    CREATE TABLE "Order Items" ("Customer Name" text, "a""b" int PRIMARY KEY, "é" real,
                                "up dated" timestamptz);
    INSERT INTO "Order Items" VALUES ('Ann', 1, 1.5, '2024-01-01Z'), ('Bob', 2, NULL, '2024-01-02Z'),
                                     ('Cy', 3, 2, '2024-01-02Z');
    CREATE TABLE "a.b" (id int PRIMARY KEY, "x y" int);
    INSERT INTO "a.b" VALUES (1, 5), (2, 6);
    CREATE SCHEMA "Sales Dept";
    CREATE TABLE "Sales Dept"."tébl" ("select" text);
    INSERT INTO "Sales Dept"."tébl" VALUES ('from');
    CREATE VIEW "My View" AS SELECT "Customer Name" AS "Who?" FROM "Order Items" WHERE "a""b" = 1;
  )",
      dsn);
  const nlohmann::json spec = {{"connection_string", dsn},
                               {"chunk_size", 1},
                               {"incremental", {{"Order Items", "up dated"}, {"a.b", "x y"}}}};
  auto src = NewPostgresqlSource();
  ASSERT_OK(src->Configure(spec));
  auto tables = src->Tables();
  ASSERT_OK(tables);
  std::vector<std::string> names;
  for (const auto& t : *tables) names.push_back(t->name);
  // Sorted by schema, then name.
  EXPECT_EQ(names, (std::vector<std::string>{"Sales Dept_tébl", "My View", "Order Items", "a.b"}));
  EXPECT_EQ(Describe(*(*tables)[2]),
            (std::vector<std::string>{"Customer Name utf8", "a\"b int32 pk not null", "é float",
                                      "up dated timestamp[us, tz=UTC] cursor"}));
  EXPECT_EQ(Describe(*(*tables)[3]),
            (std::vector<std::string>{"id int32 pk not null", "x y int32 cursor"}));
  // Patterns match the Quarry name or schema.table, as they are.
  auto picked = schema::SelectTables(*tables, {{"Sales Dept.*", "public.My View"}, {}, true});
  ASSERT_OK(picked);
  ASSERT_EQ(picked->size(), 2u);
  EXPECT_EQ((*picked)[0]->name, "Sales Dept_tébl");
  EXPECT_EQ((*picked)[1]->name, "My View");

  CollectingSink sink;
  Status st = SyncAll(spec, sink);
  ASSERT_OK(st);
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  EXPECT_EQ(sink.Rows("My View"), std::vector<std::string>{Json(R"({"Who?":"Ann"})")});
  EXPECT_EQ(sink.Rows("Sales Dept_tébl"), std::vector<std::string>{Json(R"({"select":"from"})")});
  EXPECT_EQ(sink.Rows("Order Items")[0], Json(R"({"Customer Name":"Ann","a\"b":1,"é":1.5,
                     "up dated":"2024-01-01T00:00:00.000000Z"})"));
  EXPECT_EQ(sink.Brief("Order Items", "a\"b"),
            (std::vector<std::string>{"1", "checkpoint 2024-01-01 00:00:00+00", "2", "3",
                                      "checkpoint 2024-01-02 00:00:00+00"}));
  EXPECT_EQ(sink.Brief("a.b", "id"),
            (std::vector<std::string>{"1", "checkpoint 5", "2", "checkpoint 6"}));

  Sql(R"(INSERT INTO "Order Items" VALUES ('Di', 4, 0, '2024-01-03Z'))", dsn);
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"Order Items", "2024-01-02 00:00:00+00"}, {"a.b", "6"}}));
  EXPECT_EQ(next.Brief("Order Items", "a\"b"),
            (std::vector<std::string>{"4", "checkpoint 2024-01-03 00:00:00+00"}));
  EXPECT_TRUE(next.Events("a.b").empty());
}

TEST(PostgresqlSourceTest, ColumnNamedLikeACqColumnIsReserved) {
  FreshSchema("pgsrc_cq");
  Sql("CREATE TABLE pgsrc_cq.x (_cq_id uuid, v int); INSERT INTO pgsrc_cq.x VALUES (NULL, 1);"
      "CREATE TABLE pgsrc_cq.good (id int); INSERT INTO pgsrc_cq.good VALUES (1);");
  CollectingSink sink;
  Status st = SyncAll(Spec({{"schemas", {"pgsrc_cq"}}}), sink);
  ASSERT_OK(st);
  EXPECT_EQ(sink.Errors(),
            std::vector<std::string>{
                "pgsrc_cq_x: column _cq_id: the name _cq_id is reserved for the "
                "column Quarry adds to every table; rename the column (or sync a view that "
                "renames it)"});
  EXPECT_TRUE(sink.Rows("pgsrc_cq_x").empty());
  EXPECT_EQ(sink.Rows("pgsrc_cq_good").size(), 1u);
}

}  // namespace
}  // namespace quarry::plugins
