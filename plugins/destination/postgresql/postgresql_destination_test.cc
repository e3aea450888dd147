#include "plugins/destination/postgresql/postgresql_destination.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plugins/common/pg_test_proxy.h"
#include "plugins/destination/postgresql/pg_test_server.h"
#include "quarry/testing/status.h"
#include "quarry/types/json.h"

namespace quarry::plugins {
namespace {

const auto* const kPgServer = ::testing::AddGlobalTestEnvironment(new quarry::pgtest::PgTestServer);

using nlohmann::json;
using plugin::MigrateMode;
using plugin::PkMode;
using plugin::WriteMode;
using schema::Column;
using schema::TablePtr;

std::string Pg(const std::string& sql) { return pgtest::Query(pgtest::PgTestServer::Dsn(), sql); }

// A schema of the test's own, empty: tests share one server.
std::string FreshSchema() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  name = "t_" + name.substr(0, 50);
  EXPECT_EQ(Pg(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", name)), "");
  return name;
}

// Columns as the catalog has them: "name|type|notnull|pk" lines.
std::string Columns(const std::string& schema, const std::string& table) {
  return Pg(
      fmt::format("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                  "COALESCE(a.attnum = ANY (i.indkey), false) FROM pg_attribute a "
                  "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
                  "WHERE a.attrelid = '{}'::regclass AND a.attnum > 0 AND NOT a.attisdropped "
                  "ORDER BY a.attnum",
                  fmt::format("\"{}\".\"{}\"", schema, table)));
}

Column Col(std::string name, types::TypePtr type, bool pk = false, bool not_null = false) {
  Column c{std::move(name), std::move(type)};
  c.primary_key = pk;
  c.not_null = not_null;
  return c;
}

// A table without the _cq_* columns; names are taken as they are, so tests can use any
// identifier.
TablePtr MakeTable(std::string name, std::vector<Column> columns) {
  schema::Table t;
  t.name = std::move(name);
  t.columns = std::move(columns);
  std::vector<types::Field> fields;
  for (const auto& c : t.columns) fields.push_back({c.name, c.type, !c.not_null});
  t.arrow_schema = std::make_shared<const types::Schema>(std::move(fields));
  return std::make_shared<const schema::Table>(std::move(t));
}

TablePtr MakeCqTable(std::string name, std::vector<Column> columns) {
  return schema::WithCqColumns(*MakeTable(std::move(name), std::move(columns)));
}

types::RecordBatchPtr Batch(const TablePtr& table, std::string_view rows) {
  auto r = types::BatchFromJson(table->arrow_schema, rows);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

struct Options {
  WriteMode write_mode = WriteMode::kOverwriteDeleteStale;
  MigrateMode migrate_mode = MigrateMode::kSafe;
  PkMode pk_mode = PkMode::kDefault;
};

std::unique_ptr<plugin::DestinationPlugin> Open(const std::string& schema, Options o = {}) {
  auto d = NewPostgresqlDestination();
  Status st =
      d->Configure(json{{"connection_string", pgtest::PgTestServer::Dsn()}, {"schema", schema}});
  EXPECT_TRUE(st.ok()) << st.ToString();
  plugin::DestinationOptions options;
  options.name = "postgresql";
  options.write_mode = o.write_mode;
  options.migrate_mode = o.migrate_mode;
  options.pk_mode = o.pk_mode;
  st = d->Init(plugin::PluginContext{}, options);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return d;
}

TEST(PostgresqlDestinationTest, ConfigureRequiresConnectionStringAndReadsOptions) {
  auto d = NewPostgresqlDestination();
  const std::string required =
      "spec.connection_string: required (a libpq connection string, e.g. \"host=localhost "
      "user=postgres dbname=quarry\" or postgresql://user:password@host:5432/quarry)";
  EXPECT_EQ(d->Configure(json::object()).message(), required);
  EXPECT_EQ(d->Configure(json{{"connection_string", ""}}).message(), required);
  EXPECT_EQ(d->Configure(json{{"connection_string", "x"}, {"batch_sise", 5}}).message(),
            "spec.batch_sise: unknown option (known options: batch_size, batch_size_bytes, "
            "batch_timeout, connect_timeout, connection_string, schema, stall_timeout)");
  ASSERT_OK(d->Configure(json{{"connection_string", "dbname=x"}}));
  EXPECT_EQ(d->batch_options().batch_size, 10'000);
  EXPECT_EQ(d->batch_options().batch_size_bytes, 100'000'000);
  EXPECT_EQ(d->batch_options().batch_timeout_us, 60'000'000);
  ASSERT_OK(d->Configure(json{{"connection_string", "postgresql://u@h/db"},
                              {"batch_size", 500},
                              {"batch_timeout", "1m30s"}}));
  EXPECT_EQ(d->batch_options().batch_size, 500);
  EXPECT_EQ(d->batch_options().batch_timeout_us, 90'000'000);
  EXPECT_EQ(d->Configure(json{{"connection_string", "x"}, {"schema", ""}}).message(),
            "spec.schema: must be a name of 1 to 63 bytes, got \"\"");
}

TEST(PostgresqlDestinationTest, InitReportsConnectionErrors) {
  auto d = NewPostgresqlDestination();
  // Port 1 on loopback: nobody listens there.
  ASSERT_OK(d->Configure(json{{"connection_string", "host=127.0.0.1 port=1 user=postgres"}}));
  Status st = d->Init(plugin::PluginContext{}, plugin::DestinationOptions{});
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_TRUE(st.message().starts_with(
      "postgresql: connect: connection to server at \"127.0.0.1\", port 1 failed: Connection "
      "refused"))
      << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
}

TEST(PostgresqlDestinationTest, AcceptsUriConnectionStrings) {
  const std::string dsn = pgtest::PgTestServer::Dsn();  // host=127.0.0.1 port=N user=… dbname=…
  const size_t p = dsn.find("port=") + 5;
  const std::string port = dsn.substr(p, dsn.find(' ', p) - p);
  auto d = NewPostgresqlDestination();
  ASSERT_OK(d->Configure(
      json{{"connection_string", "postgresql://postgres@127.0.0.1:" + port + "/postgres"}}));
  ASSERT_OK(d->Init(plugin::PluginContext{}, plugin::DestinationOptions{}));
  ASSERT_OK(d->Close());
}

TEST(PostgresqlDestinationTest, CreatesTableWithMappedTypesPrimaryKeyAndNotNull) {
  const std::string s = FreshSchema();
  auto d = Open(s);
  auto t = MakeCqTable(
      "items",
      {Col("id", types::int64(), /*pk=*/true), Col("region", types::utf8(), /*pk=*/true),
       Col("name", types::utf8(), false, /*not_null=*/true), Col("score", types::float64())});
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(Columns(s, "items"),
            "_cq_source_name|text|f|f\n"
            "_cq_sync_time|timestamp without time zone|f|f\n"
            "_cq_id|uuid|t|f\n"
            "_cq_parent_id|uuid|f|f\n"
            "id|bigint|t|t\n"
            "region|text|t|t\n"
            "name|text|t|f\n"
            "score|double precision|f|f");
  EXPECT_EQ(Pg(fmt::format("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = '{}.items'::regclass AND contype = 'p'",
                           s)),
            "PRIMARY KEY (id, region)");
  // Migrating the same table again changes nothing.
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(Pg(fmt::format("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE n.nspname = '{}'",
                           s)),
            "2");  // table + pk index
}

TEST(PostgresqlDestinationTest, StoresEveryTypeInItsMappedColumnType) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("all_types", {Col("n", types::int32()),
                                   Col("b", types::boolean()),
                                   Col("i8", types::int8()),
                                   Col("i16", types::int16()),
                                   Col("i32", types::int32()),
                                   Col("i64", types::int64()),
                                   Col("u8", types::uint8()),
                                   Col("u16", types::uint16()),
                                   Col("u32", types::uint32()),
                                   Col("u64", types::uint64()),
                                   Col("f32", types::float32()),
                                   Col("f64", types::float64()),
                                   Col("s", types::utf8()),
                                   Col("bin", types::binary()),
                                   Col("ts", types::timestamp()),
                                   Col("d", types::date32()),
                                   Col("u", types::uuid()),
                                   Col("j", types::json()),
                                   Col("ip", types::inet()),
                                   Col("mac", types::mac()),
                                   Col("li", types::list(types::int64())),
                                   Col("ls", types::list(types::utf8())),
                                   Col("lu", types::list(types::uuid())),
                                   Col("lts", types::list(types::timestamp())),
                                   Col("lb", types::list(types::boolean())),
                                   Col("lu64", types::list(types::uint64())),
                                   Col("lip", types::list(types::inet())),
                                   Col("ll", types::list(types::list(types::int64())))});
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(Pg(fmt::format("SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), "
                           "', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = "
                           "'{}.all_types'::regclass AND attnum > 0",
                           s)),
            "n integer, b boolean, i8 smallint, i16 smallint, i32 integer, i64 bigint, "
            "u8 smallint, u16 integer, u32 bigint, u64 numeric(20,0), f32 real, "
            "f64 double precision, s text, bin bytea, ts timestamp without time zone, d date, "
            "u uuid, j jsonb, ip inet, mac macaddr, li bigint[], ls text[], lu uuid[], "
            "lts timestamp without time zone[], lb boolean[], lu64 numeric(20,0)[], lip inet[], "
            "ll text");
  auto batch = Batch(t, R"([
    {"n": 1, "b": true, "i8": -8, "i16": -16, "i32": -32, "i64": -64, "u8": 8, "u16": 16,
     "u32": 4294967295, "u64": 9223372036854775807, "f32": 1.5, "f64": 0.25, "s": "héllo",
     "bin": "ab", "ts": "2026-11-25T16:46:29.123456Z", "d": "2026-11-25",
     "u": "0f8fad5b-d9cb-469f-a165-70867728950e", "j": {"k": [1, "x"]}, "ip": "10.0.0.1/32",
     "mac": "08:00:2b:01:02:03", "li": [1, null, 3], "ls": ["a", "b\"c", null],
     "lu": ["0f8fad5b-d9cb-469f-a165-70867728950e"], "lts": ["1999-12-31T23:59:59.5Z"],
     "lb": [true, false], "lu64": [0, 10000, 18446744073709551615],
     "lip": ["192.168.0.0/16", "::1"], "ll": [[1, 2], [], [3]]},
    {"n": 2},
    {"n": 3, "b": false, "i8": -128, "i16": -32768, "i32": -2147483648,
     "i64": -9223372036854775808, "u8": 255, "u16": 65535, "u32": 0,
     "u64": 18446744073709551615, "f32": -0.0, "f64": -1e300, "s": "", "bin": "", "ts": 0,
     "d": "1970-01-01", "u": "ffffffff-ffff-ffff-ffff-ffffffffffff", "j": "text",
     "ip": "2001:db8::1/64", "mac": "08-00-2B-01-02-03", "li": [], "ls": [], "lu": [],
     "lts": [], "lb": [null], "lu64": [], "lip": [], "ll": []},
    {"n": 4, "u64": 0, "f64": 1e-300, "j": [1, 2.5, null, true], "ts": "2000-01-01T00:00:00Z",
     "d": "1900-03-01", "u64": 100000000, "ip": "0.0.0.0/0"}])");
  ASSERT_OK(d->Write(*t, {batch}));
  auto row = [&](int n) {
    return Pg(fmt::format(
        "SELECT b::text, i8::text, i16::text, i32::text, i64::text, u8::text, u16::text, "
        "u32::text, u64::text, f32::text, f64::text, s, bin::text, ts::text, d::text, u::text, "
        "j::text, ip::text, mac::text, li::text, ls::text, lu::text, lts::text, lb::text, "
        "lu64::text, lip::text, ll FROM {}.all_types WHERE n = {}",
        s, n));
  };
  // inet::text always shows the netmask (text(inet)); inside arrays, /32 and /128 are implied.
  EXPECT_EQ(row(1),
            "true|-8|-16|-32|-64|8|16|4294967295|9223372036854775807|1.5|0.25|héllo|\\x6162|"
            "2026-11-25 16:46:29.123456|2026-11-25|0f8fad5b-d9cb-469f-a165-70867728950e|"
            "{\"k\": [1, \"x\"]}|10.0.0.1/32|08:00:2b:01:02:03|{1,NULL,3}|{a,\"b\\\"c\",NULL}|"
            "{0f8fad5b-d9cb-469f-a165-70867728950e}|{\"1999-12-31 23:59:59.5\"}|{t,f}|"
            "{0,10000,18446744073709551615}|{192.168.0.0/16,::1}|[[1,2],[],[3]]");
  EXPECT_EQ(row(2),
            "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|"
            "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
  // Empty strings and byte strings stay empty, not NULL; empty lists are empty arrays.
  EXPECT_EQ(row(3),
            "false|-128|-32768|-2147483648|-9223372036854775808|255|65535|0|"
            "18446744073709551615|-0|-1e+300||\\x|1970-01-01 00:00:00|1970-01-01|"
            "ffffffff-ffff-ffff-ffff-ffffffffffff|\"text\"|2001:db8::1/64|08:00:2b:01:02:03|"
            "{}|{}|{}|{}|{NULL}|{}|{}|[]");
  EXPECT_EQ(Pg(fmt::format("SELECT u64::text, f64::text, j::text, ts::text, d::text, ip::text "
                           "FROM {}.all_types WHERE n = 4",
                           s)),
            "100000000|1e-300|[1, 2.5, null, true]|2000-01-01 00:00:00|1900-03-01|0.0.0.0/0");
  EXPECT_EQ(Pg(fmt::format("SELECT s IS NULL, s = '', bin = '', array_length(li, 1), "
                           "cardinality(li) FROM {}.all_types WHERE n = 3",
                           s)),
            "f|t|t|NULL|0");
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

types::RecordBatchPtr RawBatch(const TablePtr& t, int64_t rows, std::vector<types::ArrayPtr> cols) {
  auto b = types::RecordBatch::Make(t->arrow_schema, rows, std::move(cols));
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? *b : nullptr;
}

TEST(PostgresqlDestinationTest, RefusesTextAndJsonWithNulAndLandsNothingOfTheWrite) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kOverwrite});
  auto t = MakeTable("t", {Col("name", types::utf8(), true, true), Col("j", types::json()),
                           Col("ls", types::list(types::utf8()))});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"name": "ab"}])")}));
  // Stripping the NUL would make "a\0b" the key "ab": the write must fail instead, whole.
  json rows = json::array();
  for (int i = 0; i < 10; ++i) rows.push_back({{"name", fmt::format("x{}", i)}});
  Status st =
      d->Write(*t, {Batch(t, rows.dump()), Batch(t, R"([{"name": "y"}, {"name": "z"}, {"name": "w"},
                                         {"name": "v"}, {"name": "u"}, {"name": "t"},
                                         {"name": "s"}, {"name": "a\u0000b"}])")});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(
      st.message(),
      "table t: column name, row 17: text contains a NUL byte, which PostgreSQL cannot store");
  st = d->Write(*t, {Batch(t, R"([{"name": "j1", "j": {"k": "x\u0000y"}}])")});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "table t: column j, row 0: JSON contains a NUL character (\\u0000), which "
            "PostgreSQL's jsonb cannot store");
  st = d->Write(*t, {Batch(t, R"([{"name": "l1", "ls": ["fine", "\u0000z"]}])")});
  EXPECT_EQ(st.message(),
            "table t: column ls, row 0: text contains a NUL byte, which PostgreSQL cannot store");
  EXPECT_EQ(Pg(fmt::format("SELECT name FROM {}.t", s)), "ab");
  // A backslash followed by "u0000" is no NUL; the connection is usable after the refusals.
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"name": "a b", "j": {"esc": "back\\slash\\u0000"}}])")}));
  EXPECT_EQ(Pg(fmt::format("SELECT name, j::text FROM {}.t ORDER BY name", s)),
            "a b|{\"esc\": \"back\\\\slash\\\\u0000\"}\nab|NULL");
}

TEST(PostgresqlDestinationTest, StoresTimestampsAndDatesOfItsRangeExactlyAndRefusesOthers) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("times", {Col("n", types::int64()), Col("ts", types::timestamp()),
                               Col("d", types::date32())});
  ASSERT_OK(d->Migrate({t}));
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
  constexpr int32_t kPgEpochDays = 10'957;
  // Microseconds / days since 1970-01-01 and PostgreSQL's text of each.
  const std::vector<std::pair<int64_t, std::string>> timestamps{
      {-210'866'803'200'000'000, "4714-11-24 00:00:00 BC"},
      {-63'517'824'000'000'000, "0044-03-15 00:00:00 BC"},
      {-62'167'219'200'000'001, "0002-12-31 23:59:59.999999 BC"},
      {-62'167'219'200'000'000, "0001-01-01 00:00:00 BC"},
      {-1, "1969-12-31 23:59:59.999999"},
      {253'402'300'799'999'999, "9999-12-31 23:59:59.999999"},
      {253'402'300'800'000'000, "10000-01-01 00:00:00"},
      {kMax64, "294247-01-10 04:00:54.775807"}};
  const std::vector<std::pair<int32_t, std::string>> dates{{-2'440'588, "4714-11-24 BC"},
                                                           {-735'160, "0044-03-15 BC"},
                                                           {-719'529, "0002-12-31 BC"},
                                                           {-719'528, "0001-01-01 BC"},
                                                           {-1, "1969-12-31"},
                                                           {2'932'896, "9999-12-31"},
                                                           {2'932'897, "10000-01-01"},
                                                           {2'145'042'905, "5874897-12-31"}};
  std::vector<std::optional<int64_t>> n, ts;
  std::vector<std::optional<int32_t>> ds;
  std::string want;
  for (size_t i = 0; i < timestamps.size(); ++i) {
    n.push_back(static_cast<int64_t>(i));
    ts.push_back(timestamps[i].first);
    ds.push_back(dates[i].first);
    want += fmt::format("{}{}|{}|{}", i == 0 ? "" : "\n", i, timestamps[i].second, dates[i].second);
  }
  ASSERT_OK(d->Write(*t, {RawBatch(t, static_cast<int64_t>(n.size()),
                                   {RawArray(types::int64(), n), RawArray(types::timestamp(), ts),
                                    RawArray(types::date32(), ds)})}));
  EXPECT_EQ(Pg(fmt::format("SELECT n, ts::text, d::text FROM {}.times ORDER BY n", s)), want);
  // Outside the range, including the values that would wrap around or become -infinity or
  // infinity on the wire: refused, and nothing of the write lands.
  const std::string ts_error =
      "table times: column ts, row 1: timestamp outside PostgreSQL's range (4714-11-24 00:00:00 "
      "BC to 294276-12-31 23:59:59.999999)";
  for (int64_t bad : {kMin64, kMin64 + 1, kMin64 + kPgEpochMicros - 1, kMin64 + kPgEpochMicros,
                      int64_t{-210'866'803'200'000'001}}) {
    Status st = d->Write(*t, {RawBatch(t, 2,
                                       {RawArray<int64_t>(types::int64(), {100, 101}),
                                        RawArray<int64_t>(types::timestamp(), {0, bad}),
                                        RawArray<int32_t>(types::date32(), {0, 0})})});
    EXPECT_TRUE(st.IsInvalid()) << bad;
    EXPECT_EQ(st.message(), ts_error) << bad;
  }
  const std::string d_error =
      "table times: column d, row 1: date outside PostgreSQL's range (4714-11-24 BC to "
      "5874897-12-31)";
  for (int32_t bad :
       {kMin32, kMin32 + kPgEpochDays, int32_t{-2'440'589}, int32_t{2'145'042'906}, kMax32}) {
    Status st = d->Write(*t, {RawBatch(t, 2,
                                       {RawArray<int64_t>(types::int64(), {100, 101}),
                                        RawArray<int64_t>(types::timestamp(), {0, 0}),
                                        RawArray<int32_t>(types::date32(), {0, bad})})});
    EXPECT_TRUE(st.IsInvalid()) << bad;
    EXPECT_EQ(st.message(), d_error) << bad;
  }
  EXPECT_EQ(Pg(fmt::format("SELECT count(*) FROM {}.times", s)), std::to_string(n.size()));
}

TEST(PostgresqlDestinationTest, FloatNaNInfinitiesAndNegativeZeroAreStoredAsSuch) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("floats", {Col("n", types::int64()), Col("f32", types::float32()),
                                Col("f64", types::float64())});
  ASSERT_OK(d->Migrate({t}));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<std::optional<double>> values{
      std::numeric_limits<double>::quiet_NaN(), kInf, -kInf, -0.0, std::nullopt, 0.1};
  std::vector<std::optional<int64_t>> n;
  std::vector<std::optional<float>> f32;
  for (size_t i = 0; i < values.size(); ++i) {
    n.push_back(static_cast<int64_t>(i));
    f32.push_back(values[i] ? std::optional(static_cast<float>(*values[i])) : std::nullopt);
  }
  ASSERT_OK(d->Write(*t, {RawBatch(t, static_cast<int64_t>(n.size()),
                                   {RawArray(types::int64(), n), RawArray(types::float32(), f32),
                                    RawArray(types::float64(), values)})}));
  EXPECT_EQ(Pg(fmt::format("SELECT n, f32::text, f64::text FROM {}.floats ORDER BY n", s)),
            "0|NaN|NaN\n1|Infinity|Infinity\n2|-Infinity|-Infinity\n3|-0|-0\n4|NULL|NULL\n"
            "5|0.1|0.1");
}

TEST(PostgresqlDestinationTest, UpsertLeavesNoStagingTableBehind) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kOverwrite});
  auto t = MakeTable("t", {Col("id", types::int64(), true), Col("v", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id": 1, "v": "one"}])")}));
  // An existing key: the rows go through a staging table, which goes with its transaction.
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id": 1, "v": "ONE"}, {"id": 2, "v": "two"}])")}));
  EXPECT_EQ(Pg(fmt::format("SELECT id, v FROM {}.t ORDER BY id", s)), "1|ONE\n2|two");
  EXPECT_EQ(Pg("SELECT count(*) FROM pg_class WHERE relname LIKE 'quarry_stage%'"), "0");
}

TEST(PostgresqlDestinationTest, AppendModeCreatesNoPrimaryKeyAndKeepsCqIdNotNull) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kAppend});
  auto t = MakeCqTable("events", {Col("id", types::int64(), true), Col("v", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(
      Pg(fmt::format("SELECT count(*) FROM pg_index WHERE indrelid = '{}.events'::regclass", s)),
      "0");
  EXPECT_EQ(Columns(s, "events"),
            "_cq_source_name|text|f|f\n_cq_sync_time|timestamp without time zone|f|f\n"
            "_cq_id|uuid|t|f\n_cq_parent_id|uuid|f|f\nid|bigint|f|f\nv|text|f|f");
}

TEST(PostgresqlDestinationTest, WriteAllIsOneTransactionAcrossTables) {
  const std::string s = FreshSchema();
  auto d = Open(s);
  auto a = MakeTable("a", {Col("id", types::int64(), true, true)});
  auto b = MakeTable("b", {Col("id", types::int64(), true, true), Col("ip", types::inet())});
  auto c = MakeTable("c", {Col("id", types::int64(), true, true), Col("s", types::utf8())});
  ASSERT_OK(d->Migrate({a, b, c}));
  std::vector<types::RecordBatchPtr> rows_a{Batch(a, R"([{"id":1},{"id":2}])")};
  std::vector<types::RecordBatchPtr> good_b{Batch(b, R"([{"id":1,"ip":"10.0.0.1"}])")};
  ASSERT_OK(d->WriteAll({{a.get(), &rows_a}, {b.get(), &good_b}}));
  const std::string counts = fmt::format(
      "SELECT (SELECT count(*) FROM {0}.a), (SELECT count(*) FROM {0}.b), "
      "(SELECT count(*) FROM {0}.c)",
      s);
  EXPECT_EQ(Pg(counts), "2|1|0");
  // The second table's rows fail (not an address): the first table's rows are rolled back too.
  std::vector<types::RecordBatchPtr> more_a{Batch(a, R"([{"id":3}])")};
  std::vector<types::RecordBatchPtr> bad_b{Batch(b, R"([{"id":2,"ip":"10.0.0.1"},)"
                                                    R"({"id":3,"ip":"10.0.0.300"}])")};
  Status st = d->WriteAll({{a.get(), &more_a}, {b.get(), &bad_b}});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(), "table b: column ip, row 1: invalid inet value \"10.0.0.300\"");
  EXPECT_EQ(Pg(counts), "2|1|0");
  // The server refuses a value (invalid UTF-8) in the last table: all three roll back.
  std::vector<types::RecordBatchPtr> good_c{Batch(c, R"([{"id":1,"s":"ok"},{"id":2,"s":"ok"}])")};
  types::RecordBatchBuilder bc(c->arrow_schema);
  for (int i = 0; i < 3; ++i) {
    bc.column(0).Append<int64_t>(10 + i);
    bc.column(1).AppendBytes(i == 2 ? std::string_view("bad \xff") : std::string_view("fine"));
  }
  auto bad_c_batch = bc.Finish();
  ASSERT_TRUE(bad_c_batch.ok());
  std::vector<types::RecordBatchPtr> bad_c{*bad_c_batch};
  std::vector<types::RecordBatchPtr> more_b{Batch(b, R"([{"id":5}])")};
  st = d->WriteAll({{a.get(), &more_a}, {b.get(), &more_b}, {c.get(), &good_c}, {c.get(), &bad_c}});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "table c: column s, row 2: invalid byte sequence for encoding \"UTF8\": 0xff");
  EXPECT_EQ(Pg(counts), "2|1|0");
  // The connection is usable afterwards.
  ASSERT_OK(d->WriteAll({{a.get(), &more_a}, {b.get(), &more_b}, {c.get(), &good_c}}));
  EXPECT_EQ(Pg(counts), "3|2|2");
}

TEST(PostgresqlDestinationTest, InvalidValueOrBrokenConstraintFailsTheWholeWriteAndNamesTheRow) {
  const std::string s = FreshSchema();
  auto d = Open(s, {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("t", {Col("id", types::int64()), Col("name", types::utf8(), false, true),
                           Col("mac", types::mac())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id": -1, "name": "kept"}])")}));
  json rows = json::array();
  for (int i = 0; i < 100; ++i) rows.push_back({{"id", i}, {"name", "x"}});
  auto good = Batch(t, rows.dump());
  Status st =
      d->Write(*t, {good, Batch(t, R"([{"id": 1000, "name": "a", "mac": "08:00:2b:01:02"}])")});
  EXPECT_EQ(st.message(), "table t: column mac, row 100: invalid macaddr value \"08:00:2b:01:02\"");
  // A constraint of the user's: the server reports the COPY line, which names the row.
  ASSERT_EQ(Pg(fmt::format("ALTER TABLE {}.t ADD CONSTRAINT small CHECK (id < 150)", s)), "");
  json many = json::array();
  for (int i = 0; i < 200; ++i) many.push_back({{"id", i}, {"name", "y"}});
  st = d->Write(*t, {Batch(t, many.dump())});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "table t: row 150: new row for relation \"t\" violates check constraint \"small\" "
            "(Failing row contains (150, y, null).)");
  EXPECT_EQ(Pg(fmt::format("SELECT id, name FROM {}.t", s)), "-1|kept");
}

TEST(PostgresqlDestinationTest, UpsertConstraintFailureRollsBack) {
  const std::string s = FreshSchema();
  auto d = Open(s);
  auto t = MakeTable("t", {Col("id", types::int64(), true), Col("name", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_EQ(Pg(fmt::format("CREATE UNIQUE INDEX t_name ON {}.t (name)", s)), "");
  json rows = json::array();
  for (int i = 0; i < 200; ++i) {
    rows.push_back({{"id", i}, {"name", fmt::format("n{}", i == 150 ? 3 : i)}});
  }
  Status st = d->Write(*t, {Batch(t, rows.dump())});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "postgresql: table t: upsert: duplicate key value violates unique constraint "
            "\"t_name\" (Key (name)=(n3) already exists.)");
  EXPECT_EQ(Pg(fmt::format("SELECT count(*) FROM {}.t", s)), "0");
  // A key column that is null is refused before the server sees it.
  st = d->Write(*t, {Batch(t, R"([{"id": 1}, {"name": "x"}])")});
  EXPECT_EQ(st.message(), "table t: column id, row 1: NOT NULL constraint failed");
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id": 1, "name": "ok"}])")}));
  EXPECT_EQ(Pg(fmt::format("SELECT count(*) FROM {}.t", s)), "1");
}

TEST(PostgresqlDestinationTest, QuotedAndCapitalizedIdentifiersRoundTrip) {
  const std::string s = FreshSchema();
  const std::string schema_name = s + " My \"Schema\"";
  ASSERT_EQ(Pg(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", s + " My \"\"Schema\"\"")), "");
  auto d = Open(schema_name);
  auto t =
      MakeCqTable("My \"Table\"", {Col("Id", types::int64(), true),
                                   Col("say \"hi\"", types::utf8()), Col("select", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  const std::string table = fmt::format("\"{} My \"\"Schema\"\"\".\"My \"\"Table\"\"\"", s);
  auto row = [&](std::string_view v) {
    return fmt::format(R"([{{"_cq_id": "00000000-0000-0000-0000-000000000001",
        "_cq_source_name": "src", "_cq_sync_time": 0, "Id": 1, "say \"hi\"": "{}",
        "select": "b"}}])",
                       v);
  };
  ASSERT_OK(d->Write(*t, {Batch(t, row("a"))}));
  ASSERT_OK(d->Write(*t, {Batch(t, row("A"))}));
  EXPECT_EQ(Pg(fmt::format("SELECT \"Id\", \"say \"\"hi\"\"\", \"select\" FROM {}", table)),
            "1|A|b");
  ASSERT_OK(d->Migrate({t}));
  auto t2 = schema::WithCqColumns(
      *MakeTable("My \"Table\"", {Col("Id", types::int64(), true), Col("say \"hi\"", types::utf8()),
                                  Col("select", types::utf8()), Col("New Col", types::utf8())}));
  ASSERT_OK(d->Migrate({t2}));
  ASSERT_OK(d->Write(*t2, {Batch(t2, R"([{"_cq_id": "00000000-0000-0000-0000-000000000002",
                                          "Id": 2, "New Col": "n"}])")}));
  EXPECT_EQ(Pg(fmt::format("SELECT \"Id\", \"New Col\" FROM {} ORDER BY 1", table)), "1|NULL\n2|n");
  auto deleted = d->DeleteStale(*t2, "src", 1);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1);
  // Names differing only in case are different names in PostgreSQL.
  auto lower = MakeTable("my \"table\"", {Col("id", types::int64(), true)});
  ASSERT_OK(d->Migrate({lower}));
  EXPECT_EQ(Pg(fmt::format("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                           "c.relnamespace WHERE n.nspname = '{} My \"Schema\"' AND relkind = 'r'",
                           s)),
            "2");
}

TEST(PostgresqlDestinationTest, RefusesNamesLongerThanPostgresKeeps) {
  const std::string s = FreshSchema();
  auto d = Open(s);
  auto t = MakeTable(std::string(64, 'x'), {Col("id", types::int64())});
  EXPECT_EQ(d->Migrate({t}).message(),
            "table " + std::string(64, 'x') + ": the name is longer than PostgreSQL's 63 bytes");
}

TEST(PostgresqlDestinationTest, TryLockIsExclusiveBetweenConnectionsAndReleasedWithItsHolder) {
  const std::string s = FreshSchema();
  auto d1 = Open(s);
  auto d2 = Open(s);
  auto first = d1->TryLock("sync src " + s);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = d2->TryLock("sync src " + s);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().message().starts_with(
      "another sync of the same source is writing to this destination (PostgreSQL advisory "
      "lock \"sync src " +
      s + "\" is held by server process "))
      << second.status().message();
  EXPECT_TRUE(second.status().message().ends_with("); wait for it to finish"));
  EXPECT_TRUE(d1->TryLock("sync src " + s).status().message().starts_with("another sync"));
  // The lock outlives its destination's connection, and is released with the SyncLock.
  ASSERT_OK(d1->Close());
  EXPECT_FALSE(d2->TryLock("sync src " + s).ok());
  first->reset();
  auto again = d2->TryLock("sync src " + s);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST(PostgresqlDestinationTest, WriteAfterCloseSaysNotInitialized) {
  const std::string s = FreshSchema();
  auto d = Open(s);
  auto t = MakeTable("t", {Col("id", types::int64(), true)});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Close());
  EXPECT_EQ(d->Write(*t, {Batch(t, R"([{"id":1}])")}).message(), "postgresql: not initialized");
}

TEST(PostgresqlDestinationTest, ConnectionLossFailsTheWriteClearly) {
  const std::string s = FreshSchema();
  auto d = Open(s);
  auto t = MakeTable("t", {Col("id", types::int64(), true)});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_EQ(Pg("SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity WHERE "
               "application_name = 'quarry' AND backend_type = 'client backend' AND "
               "pid <> pg_backend_pid()"),
            "t");
  Status st = d->Write(*t, {Batch(t, R"([{"id":1}])")});
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_TRUE(st.message().starts_with("postgresql: table t: begin: ")) << st.message();
}

TEST(PostgresqlDestinationTest, ConfigureReadsTimeouts) {
  auto d = NewPostgresqlDestination();
  ASSERT_OK(d->Configure(
      json{{"connection_string", "dbname=x"}, {"connect_timeout", "2s"}, {"stall_timeout", 0}}));
  EXPECT_TRUE(d->Configure(json{{"connection_string", "dbname=x"}, {"stall_timeout", "never"}})
                  .message()
                  .starts_with("spec.stall_timeout: "));
  EXPECT_TRUE(d->Configure(json{{"connection_string", "dbname=x"}, {"connect_timeout", -1}})
                  .message()
                  .starts_with("spec.connect_timeout: "));
}

// A server that stops answering (as one sent SIGSTOP: the kernel still takes the bytes) fails
// the write after stall_timeout, says so, and loses nothing committed; a new connection (the
// sync lock's) gives up after connect_timeout. Nothing waits on the dead connection afterwards.
TEST(PostgresqlDestinationTest, StalledServerFailsTheWriteAfterTheStallTimeout) {
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  const std::string s = FreshSchema();
  pgtest::FreezableProxy proxy(pgtest::PgTestServer::Dsn());
  auto d = NewPostgresqlDestination();
  ASSERT_OK(d->Configure(json{{"connection_string", proxy.Dsn()},
                              {"schema", s},
                              {"connect_timeout", "2s"},
                              {"stall_timeout", "1s"}}));
  ASSERT_OK(d->Init(plugin::PluginContext{}, plugin::DestinationOptions{}));
  auto t = MakeTable("t", {Col("id", types::int64(), true)});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id":1}])")}));
  proxy.Freeze();
  auto start = Clock::now();
  Status st = d->Write(*t, {Batch(t, R"([{"id":2}])")});
  double took = seconds_since(start);
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(st.message(),
            "postgresql: table t: begin: no answer from the PostgreSQL server for 1s "
            "(stall_timeout); is it overloaded or stopped?");
  EXPECT_GE(took, 0.9);
  EXPECT_LT(took, 4);
  start = Clock::now();
  auto lock = d->TryLock("sync src " + s);
  took = seconds_since(start);
  ASSERT_FALSE(lock.ok());
  EXPECT_TRUE(lock.status().message().starts_with(
      "postgresql: lock: connect: connection to server at \"127.0.0.1\""))
      << lock.status().message();
  EXPECT_TRUE(lock.status().message().ends_with(
      "no answer within 2s (connect_timeout); is the server overloaded or stopped?"))
      << lock.status().message();
  EXPECT_GE(took, 1.5);
  EXPECT_LT(took, 6);
  start = Clock::now();
  EXPECT_EQ(d->Write(*t, {Batch(t, R"([{"id":3}])")}).message(), st.message());
  ASSERT_OK(d->Close());
  EXPECT_LT(seconds_since(start), 0.5);
  proxy.Thaw();
  EXPECT_EQ(Pg(fmt::format("SELECT string_agg(id::text, ',') FROM {}.t", s)), "1");
}

}  // namespace
}  // namespace quarry::plugins
