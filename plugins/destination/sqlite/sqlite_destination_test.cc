#include "plugins/destination/sqlite/sqlite_destination.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "quarry/testing/status.h"
#include "quarry/testing/temp_dir.h"
#include "quarry/types/json.h"

namespace quarry::plugins {
namespace {

using nlohmann::json;
using plugin::MigrateMode;
using plugin::PkMode;
using plugin::WriteMode;
using schema::Column;
using schema::TablePtr;

using testing::TempDir;

// Runs `sql` on its own connection; rows as "a|b|c" lines, NULL as "NULL".
std::string Query(const std::string& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "error: cannot open " + file;
  }
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    out = std::string("error: ") + sqlite3_errmsg(db);
  } else {
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (!out.empty()) out += "\n";
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        if (i > 0) out += "|";
        const auto* t = sqlite3_column_text(st, i);
        out += t == nullptr ? std::string("NULL")
                            : std::string(reinterpret_cast<const char*>(t),
                                          static_cast<size_t>(sqlite3_column_bytes(st, i)));
      }
    }
    if (rc != SQLITE_DONE) out = std::string("error: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::string Columns(const std::string& file, const std::string& table) {
  return Query(file,
               "SELECT name, lower(type), \"notnull\", pk FROM pragma_table_info('" + table + "')");
}

Column Col(std::string name, types::TypePtr type, bool pk = false, bool not_null = false) {
  Column c{std::move(name), std::move(type)};
  c.primary_key = pk;
  c.not_null = not_null;
  return c;
}

// A table without the _cq_* columns; names are taken as they are (no validation), so tests can
// use any identifier.
TablePtr MakeTable(std::string name, std::vector<Column> columns) {
  schema::Table t;
  t.name = std::move(name);
  t.columns = std::move(columns);
  std::vector<types::Field> fields;
  for (const auto& c : t.columns) fields.push_back({c.name, c.type, !c.not_null});
  t.arrow_schema = std::make_shared<const types::Schema>(std::move(fields));
  return std::make_shared<const schema::Table>(std::move(t));
}

TablePtr MakeCqTable(std::string name, std::vector<Column> columns, bool cq_id_only = false) {
  return schema::WithCqColumns(*MakeTable(std::move(name), std::move(columns)), cq_id_only);
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

std::unique_ptr<plugin::DestinationPlugin> OpenDestination(const std::string& file,
                                                           Options o = {}) {
  auto d = NewSqliteDestination();
  Status st = d->Configure(json{{"connection_string", file}});
  EXPECT_TRUE(st.ok()) << st.ToString();
  plugin::DestinationOptions options;
  options.name = "sqlite";
  options.write_mode = o.write_mode;
  options.migrate_mode = o.migrate_mode;
  options.pk_mode = o.pk_mode;
  st = d->Init(plugin::PluginContext{}, options);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return d;
}

TEST(SqliteDestinationTest, ConfigureRequiresConnectionString) {
  auto d = NewSqliteDestination();
  EXPECT_EQ(d->Configure(json::object()).message(),
            "spec.connection_string: required (the path of the SQLite database file, e.g. "
            "./quarry.db)");
  EXPECT_EQ(d->Configure(json{{"connection_string", ""}}).message(),
            "spec.connection_string: required (the path of the SQLite database file, e.g. "
            "./quarry.db)");
  EXPECT_EQ(d->Configure(json{{"connection_string", 5}}).message(),
            "spec.connection_string: expected a string, got 5");
}

TEST(SqliteDestinationTest, ConfigureRejectsUnknownOption) {
  auto d = NewSqliteDestination();
  Status st = d->Configure(json{{"connection_string", "x.db"}, {"batch_sise", 5}});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "spec.batch_sise: unknown option (known options: batch_size, batch_size_bytes, "
            "batch_timeout, connection_string)");
}

TEST(SqliteDestinationTest, ConfigureReadsBatchOptionsWithDefaults) {
  auto d = NewSqliteDestination();
  ASSERT_OK(d->Configure(json{{"connection_string", "x.db"}}));
  EXPECT_EQ(d->batch_options().batch_size, 10'000);
  EXPECT_EQ(d->batch_options().batch_size_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(d->batch_options().batch_timeout_us, 20'000'000);
  ASSERT_OK(d->Configure(json{{"connection_string", "x.db"},
                              {"batch_size", 500},
                              {"batch_size_bytes", "1MiB"},
                              {"batch_timeout", "1m30s"}}));
  EXPECT_EQ(d->batch_options().batch_size, 500);
  EXPECT_EQ(d->batch_options().batch_size_bytes, 1024 * 1024);
  EXPECT_EQ(d->batch_options().batch_timeout_us, 90'000'000);
  EXPECT_EQ(d->Configure(json{{"connection_string", "x.db"}, {"batch_size", 0}}).message(),
            "spec.batch_size: must be at least 1, got 0");
}

TEST(SqliteDestinationTest, ConfigureAcceptsFileUriPrefix) {
  TempDir dir;
  for (const std::string& conn :
       {"file:" + dir.Path("a.db"), "file://" + dir.Path("b.db") + "?cache=shared&_fk=1"}) {
    auto d = NewSqliteDestination();
    ASSERT_OK(d->Configure(json{{"connection_string", conn}}));
    ASSERT_OK(d->Init(plugin::PluginContext{}, plugin::DestinationOptions{}));
    ASSERT_OK(d->Close());
  }
  EXPECT_TRUE(std::filesystem::exists(dir.Path("a.db")));
  EXPECT_TRUE(std::filesystem::exists(dir.Path("b.db")));
  auto d = NewSqliteDestination();
  EXPECT_EQ(d->Configure(json{{"connection_string", "file://otherhost/x.db"}}).message(),
            "spec.connection_string: file: URIs with a host are not supported; give a file path");
}

TEST(SqliteDestinationTest, InitOpensInWalModeAndReportsOpenErrors) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"));
  EXPECT_EQ(Query(dir.Path("test.db"), "PRAGMA journal_mode"), "wal");

  auto bad = NewSqliteDestination();
  ASSERT_OK(bad->Configure(json{{"connection_string", dir.Path("no/such/dir/x.db")}}));
  Status st = bad->Init(plugin::PluginContext{}, plugin::DestinationOptions{});
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(st.message(),
            "sqlite " + dir.Path("no/such/dir/x.db") + ": open: unable to open database file");
}

TEST(SqliteDestinationTest, CreatesTableWithDeclaredTypesPrimaryKeyAndNotNull) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"));
  auto t = MakeCqTable(
      "items",
      {Col("id", types::int64(), /*pk=*/true), Col("region", types::utf8(), /*pk=*/true),
       Col("name", types::utf8(), false, /*not_null=*/true), Col("score", types::float64())});
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(Columns(dir.Path("test.db"), "items"),
            "_cq_source_name|text|0|0\n"
            "_cq_sync_time|timestamp|0|0\n"
            "_cq_id|text|1|0\n"
            "_cq_parent_id|text|0|0\n"
            "id|integer|0|1\n"
            "region|text|0|2\n"
            "name|text|1|0\n"
            "score|real|0|0");
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT sql FROM sqlite_master WHERE name = 'items'"),
            "CREATE TABLE \"items\" (\"_cq_source_name\" text, \"_cq_sync_time\" timestamp, "
            "\"_cq_id\" text NOT NULL, \"_cq_parent_id\" text, \"id\" integer, \"region\" text, "
            "\"name\" text NOT NULL, \"score\" real, PRIMARY KEY (\"id\", \"region\"))");
  // Migrating the same table again changes nothing.
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT count(*) FROM sqlite_master"),
            "2");  // table + pk index
}

TEST(SqliteDestinationTest, StoresEveryTypeAsSpecified) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kAppend});
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
                                   Col("ls", types::list(types::utf8()))});
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(Query(dir.Path("test.db"),
                  "SELECT group_concat(name || ' ' || lower(type), ', ') FROM "
                  "pragma_table_info('all_types')"),
            "n integer, b boolean, i8 integer, i16 integer, i32 integer, i64 integer, "
            "u8 integer, u16 integer, u32 integer, u64 integer, f32 real, f64 real, s text, "
            "bin blob, ts timestamp, d text, u text, j text, ip text, mac text, li text, ls text");
  auto batch = Batch(t, R"([
    {"n": 1, "b": true, "i8": -8, "i16": -16, "i32": -32, "i64": -64, "u8": 8, "u16": 16,
     "u32": 4294967295, "u64": 9223372036854775807, "f32": 1.5, "f64": 0.25, "s": "héllo",
     "bin": "ab", "ts": "2026-11-25T16:46:29.123456Z", "d": "2026-11-25",
     "u": "0f8fad5b-d9cb-469f-a165-70867728950e", "j": {"k": [1, "x"]}, "ip": "10.0.0.1/32",
     "mac": "08:00:2b:01:02:03", "li": [1, null, 3], "ls": ["a", "b\"c"]},
    {"n": 2},
    {"n": 3, "b": false, "i8": -128, "i64": -9223372036854775808,
     "u64": 18446744073709551615, "f64": -1e300, "s": "", "bin": "", "ts": 0,
     "d": "1970-01-01", "j": null, "li": [], "ls": []}])");
  ASSERT_OK(d->Write(*t, {batch}));
  auto row = [&](int n) {
    return Query(dir.Path("test.db"),
                 "SELECT b, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, s, hex(bin), ts, d, "
                 "u, j, ip, mac, li, ls FROM all_types WHERE n = " +
                     std::to_string(n));
  };
  auto kinds = [&](int n) {
    return Query(dir.Path("test.db"),
                 "SELECT typeof(b), typeof(i64), typeof(u64), typeof(f32), typeof(s), "
                 "typeof(bin), typeof(ts), typeof(d), typeof(u), typeof(j), typeof(li) "
                 "FROM all_types WHERE n = " +
                     std::to_string(n));
  };
  EXPECT_EQ(row(1),
            "1|-8|-16|-32|-64|8|16|4294967295|9223372036854775807|1.5|0.25|héllo|6162|"
            "2026-11-25 16:46:29.123456|2026-11-25|0f8fad5b-d9cb-469f-a165-70867728950e|"
            "{\"k\":[1,\"x\"]}|10.0.0.1/32|08:00:2b:01:02:03|[1,null,3]|[\"a\",\"b\\\"c\"]");
  EXPECT_EQ(kinds(1), "integer|integer|integer|real|text|blob|text|text|text|text|text");
  EXPECT_EQ(row(2),
            "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL||NULL|NULL|NULL|NULL|"
            "NULL|NULL|NULL|NULL");
  EXPECT_EQ(kinds(2), "null|null|null|null|null|null|null|null|null|null|null");
  // uint64 above INT64_MAX: an INTEGER column would round text to REAL, so the exact digits are
  // kept as a blob. Empty strings and blobs stay empty, not NULL.
  EXPECT_EQ(row(3),
            "0|-128|NULL|NULL|-9223372036854775808|NULL|NULL|NULL|18446744073709551615|NULL|"
            "-1.0e+300|||1970-01-01 00:00:00.000000|1970-01-01|NULL|NULL|NULL|NULL|[]|[]");
  EXPECT_EQ(kinds(3), "integer|integer|blob|null|text|blob|text|text|null|null|text");
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT CAST(u64 AS TEXT) FROM all_types WHERE n = 3"),
            "18446744073709551615");
}

TEST(SqliteDestinationTest, AppendModeCreatesNoPrimaryKeyAndKeepsCqIdNotNull) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kAppend});
  auto t = MakeCqTable("events", {Col("id", types::int64(), true), Col("v", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  EXPECT_EQ(
      Query(dir.Path("test.db"), "SELECT count(*) FROM pragma_table_info('events') WHERE pk > 0"),
      "0");
  EXPECT_EQ(Query(dir.Path("test.db"),
                  "SELECT \"notnull\" FROM pragma_table_info('events') "
                  "WHERE name = '_cq_id'"),
            "1");
}

TEST(SqliteDestinationTest, ConstraintFailureInsideAStatementNamesTheRowAndRollsBack) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("t", {Col("id", types::int64()), Col("name", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_EQ(Query(dir.Path("test.db"), "CREATE UNIQUE INDEX t_name ON t (name)"), "");
  json rows = json::array();
  for (int i = 0; i < 200; ++i) {
    rows.push_back({{"id", i}, {"name", fmt::format("n{}", i == 150 ? 3 : i)}});
  }
  Status st = d->Write(*t, {Batch(t, rows.dump())});
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(), "table t: row 150: UNIQUE constraint failed: t.name");
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT count(*) FROM t"), "0");
  // The destination is usable after the failure.
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"id": 1, "name": "ok"}])")}));
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT count(*) FROM t"), "1");
}

TEST(SqliteDestinationTest, QuotedAndCapitalizedIdentifiersRoundTrip) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"));
  auto t =
      MakeTable("My \"Table\"", {Col("Id", types::int64(), true), Col("say \"hi\"", types::utf8()),
                                 Col("select", types::utf8())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"Id": 1, "say \"hi\"": "a", "select": "b"}])")}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"Id": 1, "say \"hi\"": "A", "select": "B"}])")}));
  EXPECT_EQ(Query(dir.Path("test.db"),
                  "SELECT \"Id\", \"say \"\"hi\"\"\", \"select\" FROM "
                  "\"My \"\"Table\"\"\""),
            "1|A|B");
  ASSERT_OK(d->Migrate({t}));
  auto t2 =
      MakeTable("My \"Table\"", {Col("Id", types::int64(), true), Col("say \"hi\"", types::utf8()),
                                 Col("select", types::utf8()), Col("New Col", types::utf8())});
  ASSERT_OK(d->Migrate({t2}));
  ASSERT_OK(d->Write(*t2, {Batch(t2, R"([{"Id": 2, "New Col": "n"}])")}));
  // This table has no _cq_* columns: an error, not a silent "nothing deleted".
  auto deleted = d->DeleteStale(*t2, "src", 0);
  EXPECT_EQ(deleted.status().message(),
            "sqlite " + dir.Path("test.db") +
                ": table My \"Table\": delete stale rows: no such column: _cq_source_name");
  EXPECT_EQ(
      Query(dir.Path("test.db"), "SELECT \"Id\", \"New Col\" FROM \"My \"\"Table\"\"\" ORDER BY 1"),
      "1|NULL\n2|n");
}

TEST(SqliteDestinationTest, ColumnNamesDifferingOnlyInCaseAreTheSameColumn) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"));
  auto v1 = MakeTable("t", {Col("ID", types::int64(), true), Col("Name", types::utf8())});
  ASSERT_OK(d->Migrate({v1}));
  auto v2 = MakeTable("T", {Col("id", types::int64(), true), Col("name", types::utf8())});
  ASSERT_OK(d->Migrate({v2}));
  ASSERT_OK(d->Write(*v2, {Batch(v2, R"([{"id": 1, "name": "x"}])")}));
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT ID, Name FROM t"), "1|x");
}

TEST(SqliteDestinationTest, SeveralDestinationsShareOneFile) {
  TempDir dir;
  constexpr int kWriters = 3;
  constexpr int kWrites = 30;
  std::vector<std::unique_ptr<plugin::DestinationPlugin>> dests;
  std::vector<TablePtr> tables;
  for (int i = 0; i < kWriters; ++i) {
    dests.push_back(OpenDestination(dir.Path("test.db")));
    tables.push_back(MakeTable(fmt::format("t{}", i), {Col("id", types::int64(), true)}));
    ASSERT_OK(dests.back()->Migrate({tables.back()}));
  }
  std::vector<Status> results(kWriters);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kWriters; ++i) {
      threads.emplace_back([&, i] {
        for (int w = 0; w < kWrites && results[i].ok(); ++w) {
          json rows = json::array();
          for (int r = 0; r < 100; ++r) rows.push_back({{"id", w * 100 + r}});
          auto batch = types::BatchFromJson(tables[i]->arrow_schema, rows.dump());
          results[i] = batch.ok() ? dests[i]->Write(*tables[i], {*batch}) : batch.status();
        }
      });
    }
  }
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_OK(results[i]);
    ASSERT_OK(dests[i]->Close());
  }
  EXPECT_EQ(Query(dir.Path("test.db"),
                  "SELECT (SELECT count(*) FROM t0), (SELECT count(*) FROM t1), "
                  "(SELECT count(*) FROM t2)"),
            "3000|3000|3000");
}

}  // namespace
}  // namespace quarry::plugins

namespace quarry::plugins {
namespace {

TEST(SqliteDestinationStateTest, LockHeldByThisProcessSaysTwoDestinationsShareTheFile) {
  TempDir dir;
  auto d1 = OpenDestination(dir.Path("test.db"));
  auto d2 = OpenDestination(dir.Path("test.db"));
  auto first = d1->TryLock("sync src");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = d2->TryLock("sync src");
  ASSERT_FALSE(second.ok());
  // Held by this very process (another sync's process gets "another sync of the same source is
  // writing to this destination …", tests/e2e/fencing): two destinations of one sync share the
  // file, which is a configuration mistake.
  EXPECT_TRUE(second.status().IsInvalid()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("two destinations of one source must not share a "
                                           "database file"),
            std::string::npos)
      << second.status().message();
}

// ---------------------------------------------------------------------------------------------
// A value is never silently changed.

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

// Every batch Read gives, in one.
std::vector<types::RecordBatchPtr> ReadAll(plugin::DestinationPlugin& d, const schema::Table& t) {
  std::vector<types::RecordBatchPtr> out;
  Status st = d.Read(t, [&](types::RecordBatchPtr b) {
    out.push_back(std::move(b));
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(SqliteDestinationTest, TimestampsAndDatesOfEveryYearAreStoredAsSortableText) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("times", {Col("n", types::int64()), Col("ts", types::timestamp()),
                               Col("d", types::date32())});
  ASSERT_OK(d->Migrate({t}));
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  // Microseconds / days since 1970-01-01 and the text each is stored as: years 0000-9999 in the
  // fixed form files always had, others in ISO 8601's expanded form (year 0 = 1 BC, -43 = 44 BC).
  const std::vector<std::pair<int64_t, std::string>> timestamps{
      {kMin64, "-290308-12-21 19:59:05.224192"},
      {kMin64 + 1, "-290308-12-21 19:59:05.224193"},
      {-63'517'824'000'000'000, "-0043-03-15 00:00:00.000000"},
      {-62'167'219'200'000'001, "-0001-12-31 23:59:59.999999"},
      {-62'167'219'200'000'000, "0000-01-01 00:00:00.000000"},
      {-1, "1969-12-31 23:59:59.999999"},
      {0, "1970-01-01 00:00:00.000000"},
      {253'402'300'799'999'999, "9999-12-31 23:59:59.999999"},
      {253'402'300'800'000'000, "+10000-01-01 00:00:00.000000"},
      {kMax64 - 1, "+294247-01-10 04:00:54.775806"},
      {kMax64, "+294247-01-10 04:00:54.775807"}};
  const std::vector<std::pair<int32_t, std::string>> dates{
      {kMin32, "-5877641-06-23"},  {kMin32 + 1, "-5877641-06-24"},
      {-735'160, "-0043-03-15"},   {-719'529, "-0001-12-31"},
      {-719'528, "0000-01-01"},    {-1, "1969-12-31"},
      {0, "1970-01-01"},           {2'932'896, "9999-12-31"},
      {2'932'897, "+10000-01-01"}, {kMax32 - 1, "+5881580-07-10"},
      {kMax32, "+5881580-07-11"}};
  std::vector<std::optional<int64_t>> n, ts;
  std::vector<std::optional<int32_t>> ds;
  std::string want;
  for (size_t i = 0; i < std::max(timestamps.size(), dates.size()); ++i) {
    n.push_back(static_cast<int64_t>(i));
    ts.push_back(i < timestamps.size() ? std::optional(timestamps[i].first) : std::nullopt);
    ds.push_back(i < dates.size() ? std::optional(dates[i].first) : std::nullopt);
    want += fmt::format("{}{}|{}|{}", i == 0 ? "" : "\n", i,
                        i < timestamps.size() ? timestamps[i].second : "NULL",
                        i < dates.size() ? dates[i].second : "NULL");
  }
  ASSERT_OK(d->Write(*t, {RawBatch(t, static_cast<int64_t>(n.size()),
                                   {RawArray(types::int64(), n), RawArray(types::timestamp(), ts),
                                    RawArray(types::date32(), ds)})}));
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT n, ts, d FROM times ORDER BY n"), want);
}

TEST(SqliteDestinationTest, ReadsTimestampsAndDatesAsOtherToolsWriteThemAndRefusesOtherText) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("times", {Col("n", types::int64()), Col("ts", types::timestamp()),
                               Col("d", types::date32())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_EQ(Query(dir.Path("test.db"),
                  "INSERT INTO times VALUES (1, '2026-11-25T16:46:29.5Z', '2026-11-25'), "
                  "(2, '2026-11-25 16:46:29', '+2026-11-25')"),
            "");
  std::string got;
  for (const auto& b : ReadAll(*d, *t)) got += types::BatchToJson(*b);
  EXPECT_EQ(got, R"([{"n":1,"ts":"2026-11-25T16:46:29.500000Z","d":"2026-11-25"},)"
                 R"({"n":2,"ts":"2026-11-25T16:46:29.000000Z","d":"2026-11-25"}])");
  // Text that is no timestamp, or one beyond int64 microseconds, is an error, not a guess.
  for (const char* bad : {"2026-11-25 16:46:29 +02:00", "+294247-01-10 04:00:54.775808",
                          "2026-13-01 00:00:00", "yesterday"}) {
    ASSERT_EQ(
        Query(dir.Path("test.db"), fmt::format("UPDATE times SET ts = '{}' WHERE n = 2", bad)), "");
    Status st = d->Read(*t, [](types::RecordBatchPtr) { return Status::OK(); });
    EXPECT_TRUE(st.IsInvalid()) << bad;
    EXPECT_EQ(st.message(), fmt::format("table times: column ts, row 1: cannot read \"{}\" as "
                                        "timestamp[us, tz=UTC]",
                                        bad));
  }
}

TEST(SqliteDestinationTest, FloatNaNInfinitiesAndNegativeZeroAreStoredDistinctFromNull) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kAppend});
  auto t = MakeTable("floats", {Col("n", types::int64()), Col("f32", types::float32()),
                                Col("f64", types::float64())});
  ASSERT_OK(d->Migrate({t}));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<std::optional<double>> values{
      std::numeric_limits<double>::quiet_NaN(), kInf, -kInf, -0.0, 0.0, std::nullopt, 1.5};
  std::vector<std::optional<int64_t>> n;
  std::vector<std::optional<float>> f32;
  for (size_t i = 0; i < values.size(); ++i) {
    n.push_back(static_cast<int64_t>(i));
    f32.push_back(values[i] ? std::optional(static_cast<float>(*values[i])) : std::nullopt);
  }
  ASSERT_OK(d->Write(*t, {RawBatch(t, static_cast<int64_t>(n.size()),
                                   {RawArray(types::int64(), n), RawArray(types::float32(), f32),
                                    RawArray(types::float64(), values)})}));
  // NaN is the text 'NaN', -0.0 the blob '-0.0' (SQLite would store NULL and 0); infinities are
  // REALs.
  EXPECT_EQ(Query(dir.Path("test.db"),
                  "SELECT n, f32, typeof(f32), f64, typeof(f64) FROM floats ORDER BY n"),
            "0|NaN|text|NaN|text\n"
            "1|Inf|real|Inf|real\n"
            "2|-Inf|real|-Inf|real\n"
            "3|-0.0|blob|-0.0|blob\n"
            "4|0.0|real|0.0|real\n"
            "5|NULL|null|NULL|null\n"
            "6|1.5|real|1.5|real");
}

TEST(SqliteDestinationTest, TextWithNulBytesIsStoredExactlyAndKeysStayDistinct) {
  TempDir dir;
  auto d = OpenDestination(dir.Path("test.db"), {.write_mode = WriteMode::kOverwrite});
  auto t = MakeTable("t", {Col("name", types::utf8(), true, true), Col("n", types::int64())});
  ASSERT_OK(d->Migrate({t}));
  ASSERT_OK(d->Write(*t, {Batch(t, R"([{"name": "ab", "n": 1}, {"name": "a\u0000b", "n": 2},
                                      {"name": "\u0000", "n": 3}, {"name": "", "n": 4}])")}));
  EXPECT_EQ(Query(dir.Path("test.db"), "SELECT hex(name), n FROM t ORDER BY n"),
            "6162|1\n610062|2\n00|3\n|4");
}

}  // namespace
}  // namespace quarry::plugins
