#include "plugins/source/sqlite/sqlite_source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/testing/source_sync.h"
#include "quarry/testing/status.h"

namespace quarry::plugins {
namespace {

// A database file in the test's temporary directory, written through the sqlite3 C API.
class TempDb {
 public:
  TempDb() {
    path_ = fmt::format("{}quarry_sqlite_source_{}_{}.db", ::testing::TempDir(), getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    Remove();
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
  }
  ~TempDb() {
    sqlite3_close(db_);
    Remove();
  }
  const std::string& path() const { return path_; }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    ASSERT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << "\n" << sql;
  }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::remove((path_ + suffix).c_str());
  }
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Records, per table, its rows (JSON without the _cq_* columns) and checkpoints, in the order
// they were sent.
using testing::CollectingSink;
using testing::Describe;

Status SyncAll(const nlohmann::json& spec, CollectingSink& sink,
               std::map<std::string, std::string> state = {}) {
  auto src = NewSqliteSource();
  return testing::SyncAll(*src, spec, sink, std::move(state), "sqlite");
}

std::string Json(std::string_view text) { return nlohmann::json::parse(text).dump(); }

TEST(SqliteSourceTest, DiscoversTablesColumnsTypesAndKeys) {
  TempDb db;
  db.Exec(R"(
    CREATE TABLE things (
      id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2),
      weight DOUBLE PRECISION, score REAL, ratio FLOAT, qty BIGINT, active BOOLEAN,
      created_at TIMESTAMP, updated DATETIME, born DATE, data BLOB, anything, doc JSON,
      ref UUID, note TEXT);
    CREATE TABLE pairs (b TEXT NOT NULL, a INTEGER, v CLOB, PRIMARY KEY (a, b));
    CREATE TABLE keyed (k TEXT PRIMARY KEY, n INT) WITHOUT ROWID;
    CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
    CREATE INDEX things_name ON things (name);
    CREATE VIEW thing_names AS SELECT name FROM things;
  )");
  auto src = NewSqliteSource();
  ASSERT_OK(src->Configure({{"connection_string", db.path()}}));
  auto tables = src->Tables();
  ASSERT_OK(tables);

  std::vector<std::string> names;
  for (const auto& t : *tables) names.push_back(t->name);
  // sqlite_sequence (from AUTOINCREMENT) and the view are not synced.
  EXPECT_EQ(names, (std::vector<std::string>{"counters", "keyed", "pairs", "things"}));

  const auto& things = *(*tables)[3];
  EXPECT_FALSE(things.is_incremental);
  EXPECT_EQ(Describe(things), (std::vector<std::string>{
                                  "id int64 pk not null",
                                  "name utf8 not null",
                                  "price utf8",
                                  "weight double",
                                  "score double",
                                  "ratio double",
                                  "qty int64",
                                  "active bool",
                                  "created_at timestamp[us, tz=UTC]",
                                  "updated timestamp[us, tz=UTC]",
                                  "born date32",
                                  "data binary",
                                  "anything binary",
                                  "doc json",
                                  "ref uuid",
                                  "note utf8",
                              }));
  // A non-rowid key column of a rowid table may hold NULL unless declared NOT NULL.
  EXPECT_EQ(Describe(*(*tables)[2]),
            (std::vector<std::string>{"b utf8 pk not null", "a int64 pk", "v utf8"}));
  EXPECT_EQ(Describe(*(*tables)[1]), (std::vector<std::string>{"k utf8 pk not null", "n int64"}));
  EXPECT_EQ((*tables)[0]->PrimaryKeys(), std::vector<std::string>{"id"});
}

TEST(SqliteSourceTest, IncrementalTableAndCursorColumnAreMarked) {
  TempDb db;
  db.Exec(
      "CREATE TABLE a (id INTEGER PRIMARY KEY, updated_at TIMESTAMP);"
      "CREATE TABLE b (id INTEGER PRIMARY KEY)");
  auto src = NewSqliteSource();
  ASSERT_OK(
      src->Configure({{"connection_string", db.path()}, {"incremental", {{"a", "updated_at"}}}}));
  auto tables = *src->Tables();
  EXPECT_TRUE(tables[0]->is_incremental);
  EXPECT_EQ(Describe(*tables[0]), (std::vector<std::string>{
                                      "id int64 pk not null",
                                      "updated_at timestamp[us, tz=UTC] cursor",
                                  }));
  EXPECT_FALSE(tables[1]->is_incremental);
}

TEST(SqliteSourceTest, FullSyncReadsEveryTypeOfValue) {
  TempDb db;
  db.Exec(R"(
    CREATE TABLE things (
      id INTEGER PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), weight DOUBLE,
      qty BIGINT, active BOOLEAN, created_at TIMESTAMP, born DATE, data BLOB, anything,
      doc JSON, ref UUID);
    INSERT INTO things VALUES
      (1, 'widget "w"', 12.5, 2.25, 9007199254740993, 1, '2024-05-06 07:08:09.123456',
       '2024-02-29', X'0001FF', 'hi', '{"a":[1,2]}', '0b6a2cf4-5e6f-4a1b-8c2d-3e4f5a6b7c8d'),
      (2, 'héllo', 7, -0.5, -3, 'false', '2024-05-06T09:08:09+02:00', '1999-12-31', X'',
       X'68', 42, X'0B6A2CF45E6F4A1B8C2D3E4F5A6B7C8D'),
      (3, NULL, NULL, NULL, NULL, NULL, 1700000000, NULL, NULL, NULL, NULL, NULL),
      (4, 5, 0.1, 3, 0, 'TRUE', '2024-05-06', NULL, NULL, NULL, 'null', NULL);
    CREATE TABLE other (n INTEGER);
    INSERT INTO other VALUES (1), (2), (3);
  )");
  CollectingSink sink;
  Status st = SyncAll({{"connection_string", db.path()}, {"concurrency", 2}}, sink);
  ASSERT_OK(st);
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  ASSERT_EQ(sink.Rows("things").size(), 4u);
  EXPECT_EQ(sink.Rows("things")[0],
            Json(R"({"id":1,"name":"widget \"w\"","price":"12.5","weight":2.25,
                     "qty":9007199254740993,"active":true,
                     "created_at":"2024-05-06T07:08:09.123456Z","born":"2024-02-29",
                     "data":"AAH/","anything":"aGk=","doc":{"a":[1,2]},
                     "ref":"0b6a2cf4-5e6f-4a1b-8c2d-3e4f5a6b7c8d"})"));
  EXPECT_EQ(sink.Rows("things")[1],
            Json(R"({"id":2,"name":"héllo","price":"7","weight":-0.5,"qty":-3,"active":false,
                     "created_at":"2024-05-06T07:08:09.000000Z","born":"1999-12-31",
                     "data":"","anything":"aA==","doc":42,
                     "ref":"0b6a2cf4-5e6f-4a1b-8c2d-3e4f5a6b7c8d"})"));
  EXPECT_EQ(sink.Rows("things")[2],
            Json(R"({"id":3,"name":null,"price":null,"weight":null,"qty":null,"active":null,
                     "created_at":"2023-11-14T22:13:20.000000Z","born":null,"data":null,
                     "anything":null,"doc":null,"ref":null})"));
  EXPECT_EQ(sink.Rows("things")[3],
            Json(R"({"id":4,"name":"5","price":"0.1","weight":3,"qty":0,"active":true,
                     "created_at":"2024-05-06T00:00:00.000000Z","born":null,"data":null,
                     "anything":null,"doc":null,"ref":null})"));
  EXPECT_EQ(sink.Rows("other").size(), 3u);
  // Full tables send no checkpoints.
  for (const auto& [table, events] : sink.AllEvents()) {
    for (const auto& e : events) EXPECT_FALSE(e.starts_with("checkpoint")) << table;
  }
}

TEST(SqliteSourceTest, IncrementalFirstRunCheckpointsAfterEachChunk) {
  TempDb db;
  db.Exec("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)");
  for (int i = 10; i >= 1; --i) db.Exec(fmt::format("INSERT INTO events VALUES ({}, 'e{}')", i, i));
  CollectingSink sink;
  Status st = SyncAll(
      {{"connection_string", db.path()}, {"chunk_size", 3}, {"incremental", {{"events", "id"}}}},
      sink);
  ASSERT_OK(st);
  EXPECT_TRUE(sink.Errors().empty());
  EXPECT_EQ(sink.Brief("events", "id"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 3", "4", "5", "6", "checkpoint 6",
                                      "7", "8", "9", "checkpoint 9", "10", "checkpoint 10"}));
}

TEST(SqliteSourceTest, IncrementalNextRunReadsOnlyRowsAfterTheSavedCursor) {
  TempDb db;
  db.Exec("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)");
  for (int i = 1; i <= 12; ++i) db.Exec(fmt::format("INSERT INTO events VALUES ({}, 'e{}')", i, i));
  const nlohmann::json spec = {
      {"connection_string", db.path()}, {"chunk_size", 3}, {"incremental", {{"events", "id"}}}};
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink, {{"events", "10"}}));
  EXPECT_EQ(sink.Brief("events", "id"), (std::vector<std::string>{"11", "12", "checkpoint 12"}));
  EXPECT_EQ(sink.Rows("events")[0], Json(R"({"id":11,"payload":"e11"})"));

  CollectingSink again;
  ASSERT_OK(SyncAll(spec, again, {{"events", "12"}}));
  EXPECT_TRUE(again.Events("events").empty());
  EXPECT_TRUE(again.Errors().empty());
}

TEST(SqliteSourceTest, TiesAcrossAChunkBoundaryAreNotSplit) {
  TempDb db;
  db.Exec(
      "CREATE TABLE log (seq INTEGER PRIMARY KEY, v INTEGER);"
      "INSERT INTO log VALUES (1, 1), (2, 1), (3, 1), (4, 2), (5, 2)");
  const nlohmann::json spec = {
      {"connection_string", db.path()}, {"chunk_size", 2}, {"incremental", {{"log", "v"}}}};
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Brief("log", "seq"),
            (std::vector<std::string>{"1", "2", "3", "checkpoint 1", "4", "5", "checkpoint 2"}));
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"log", "1"}}));
  EXPECT_EQ(next.Brief("log", "seq"), (std::vector<std::string>{"4", "5", "checkpoint 2"}));
}

TEST(SqliteSourceTest, IncrementalReadIsOneSnapshotWhileTheFileChanges) {
  TempDb db;
  db.Exec(
      "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER);"
      "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)");
  CollectingSink sink;
  // Between chunks, another connection adds rows after and before the cursor and updates one.
  sink.on_checkpoint = [&](const message::Checkpoint& cp) {
    if (cp.value != "2") return;
    db.Exec("INSERT INTO t VALUES (6, 6), (7, 0); UPDATE t SET c = 10 WHERE id = 3");
  };
  ASSERT_OK(SyncAll(
      {{"connection_string", db.path()}, {"chunk_size", 2}, {"incremental", {{"t", "c"}}}}, sink));
  EXPECT_EQ(sink.Brief("t", "id"), (std::vector<std::string>{"1", "2", "checkpoint 2", "3", "4",
                                                             "checkpoint 4", "5", "checkpoint 5"}));
  CollectingSink next;
  ASSERT_OK(SyncAll({{"connection_string", db.path()}, {"incremental", {{"t", "c"}}}}, next,
                    {{"t", "5"}}));
  EXPECT_EQ(next.Brief("t", "id"), (std::vector<std::string>{"6", "3", "checkpoint 10"}));
}

TEST(SqliteSourceTest, TiesAreOrderedByRowidWhateverTheInsertOrder) {
  TempDb db;
  db.Exec(
      "CREATE TABLE log (seq INTEGER PRIMARY KEY, v INTEGER);"
      "INSERT INTO log VALUES (1, 2), (2, 1), (3, 2), (4, 1), (5, 1), (6, 3)");
  CollectingSink sink;
  ASSERT_OK(SyncAll(
      {{"connection_string", db.path()}, {"chunk_size", 2}, {"incremental", {{"log", "v"}}}},
      sink));
  EXPECT_EQ(sink.Brief("log", "seq"),
            (std::vector<std::string>{"2", "4", "5", "checkpoint 1", "1", "3", "checkpoint 2", "6",
                                      "checkpoint 3"}));
}

TEST(SqliteSourceTest, WithoutRowidTableOrdersTiesByPrimaryKey) {
  TempDb db;
  db.Exec(R"(
    CREATE TABLE w (k TEXT, n INTEGER, ts TEXT, PRIMARY KEY (k, n)) WITHOUT ROWID;
    INSERT INTO w VALUES ('b', 1, 't1'), ('a', 2, 't1'), ('a', 1, 't1'), ('c', 0, 't2'),
                         ('a', 3, 't2');
  )");
  CollectingSink sink;
  ASSERT_OK(SyncAll(
      {{"connection_string", db.path()}, {"chunk_size", 2}, {"incremental", {{"w", "ts"}}}}, sink));
  std::vector<std::string> got;
  for (const auto& e : sink.Events("w")) {
    if (e.starts_with("checkpoint")) {
      got.push_back(e);
    } else {
      auto j = nlohmann::json::parse(e);
      got.push_back(fmt::format("{}{}", j["k"].get<std::string>(), j["n"].get<int>()));
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a1", "a2", "b1", "checkpoint t1", "a3", "c0",
                                           "checkpoint t2"}));
}

TEST(SqliteSourceTest, TextTimestampCursorResumesAfterTheSavedText) {
  TempDb db;
  db.Exec(R"(
    CREATE TABLE orders (id INTEGER PRIMARY KEY, updated_at TIMESTAMP);
    INSERT INTO orders VALUES (1, '2024-01-03 00:00:00'), (2, '2024-01-01 00:00:00'),
                              (3, '2024-01-02 00:00:00'), (4, '2024-01-02 00:00:00');
  )");
  const nlohmann::json spec = {{"connection_string", db.path()},
                               {"chunk_size", 3},
                               {"incremental", {{"orders", "updated_at"}}}};
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Brief("orders", "id"),
            (std::vector<std::string>{"2", "3", "4", "checkpoint 2024-01-02 00:00:00", "1",
                                      "checkpoint 2024-01-03 00:00:00"}));
  db.Exec("UPDATE orders SET updated_at = '2024-01-04 00:00:00' WHERE id = 2");
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"orders", "2024-01-03 00:00:00"}}));
  EXPECT_EQ(next.Brief("orders", "id"),
            (std::vector<std::string>{"2", "checkpoint 2024-01-04 00:00:00"}));
}

TEST(SqliteSourceTest, UnixSecondsCursorComparesAsANumber) {
  TempDb db;
  db.Exec(
      "CREATE TABLE hits (id INTEGER PRIMARY KEY, at DATETIME);"
      "INSERT INTO hits VALUES (1, 900), (2, 1000), (3, 10000)");
  CollectingSink sink;
  // As text "1000" < "900"; the column's numeric affinity makes the saved text compare as 1000.
  ASSERT_OK(SyncAll({{"connection_string", db.path()}, {"incremental", {{"hits", "at"}}}}, sink,
                    {{"hits", "1000"}}));
  EXPECT_EQ(sink.Brief("hits", "id"), (std::vector<std::string>{"3", "checkpoint 10000"}));
}

TEST(SqliteSourceTest, RealCursorIsSavedExactly) {
  TempDb db;
  db.Exec(
      "CREATE TABLE m (id INTEGER PRIMARY KEY, x REAL);"
      "INSERT INTO m VALUES (1, 0.1), (2, 0.1 + 0.2), (3, 0.2)");
  const nlohmann::json spec = {{"connection_string", db.path()}, {"incremental", {{"m", "x"}}}};
  CollectingSink sink;
  ASSERT_OK(SyncAll(spec, sink));
  EXPECT_EQ(sink.Brief("m", "id"),
            (std::vector<std::string>{"1", "3", "2", "checkpoint 0.30000000000000004"}));
  CollectingSink same;
  ASSERT_OK(SyncAll(spec, same, {{"m", "0.30000000000000004"}}));
  EXPECT_TRUE(same.Events("m").empty());
  CollectingSink rounded;
  ASSERT_OK(SyncAll(spec, rounded, {{"m", "0.3"}}));
  EXPECT_EQ(rounded.Brief("m", "id"),
            (std::vector<std::string>{"2", "checkpoint 0.30000000000000004"}));
}

TEST(SqliteSourceTest, RowsWithANullCursorAreNotFetchedIncrementally) {
  TempDb db;
  db.Exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER);"
      "INSERT INTO t VALUES (1, NULL), (2, 5), (3, NULL), (4, 6)");
  CollectingSink sink;
  ASSERT_OK(SyncAll({{"connection_string", db.path()}, {"incremental", {{"t", "c"}}}}, sink));
  EXPECT_EQ(sink.Brief("t", "id"), (std::vector<std::string>{"2", "4", "checkpoint 6"}));
}

TEST(SqliteSourceTest, ManyRowsComeInChunksOfTheDefaultSize) {
  TempDb db;
  db.Exec(R"(
    CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
    INSERT INTO big SELECT i, 'v' || i FROM n;
  )");
  CollectingSink sink;
  ASSERT_OK(SyncAll({{"connection_string", db.path()}, {"incremental", {{"big", "id"}}}}, sink));
  std::vector<std::string> checkpoints;
  int64_t rows = 0, last = 0;
  bool ordered = true;
  for (const auto& e : sink.Events("big")) {
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
TEST(SqliteSourceTest, CheckpointsNeverSplitTiesWhateverTheChunkSize) {
  TempDb db;
  db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER)");
  uint64_t x = 42;
  auto next = [&] { return (x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  std::map<int64_t, int64_t> cursor_of;  // id -> cursor
  std::string insert = "INSERT INTO t VALUES ";
  for (int64_t id = 1; id <= 300; ++id) {
    const int64_t c = static_cast<int64_t>(next() % 40);
    cursor_of[id] = c;
    insert += fmt::format("{}({}, {})", id == 1 ? "" : ", ", id, c);
  }
  db.Exec(insert);
  for (int chunk : {1, 2, 3, 5, 7, 16, 299, 300, 301}) {
    SCOPED_TRACE(fmt::format("chunk_size {}", chunk));
    CollectingSink sink;
    ASSERT_OK(SyncAll(
        {{"connection_string", db.path()}, {"chunk_size", chunk}, {"incremental", {{"t", "c"}}}},
        sink));
    ASSERT_TRUE(sink.Errors().empty());
    std::map<int64_t, int> seen;
    int64_t last_checkpoint = -1;
    for (const auto& e : sink.Events("t")) {
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
    EXPECT_EQ(last_checkpoint,
              std::max_element(cursor_of.begin(), cursor_of.end(), [](auto& a, auto& b) {
                return a.second < b.second;
              })->second);
  }
}

TEST(SqliteSourceTest, ValueThatDoesNotFitNamesTableColumnAndRow) {
  TempDb db;
  db.Exec(R"(
    CREATE TABLE nums (id INTEGER PRIMARY KEY, n INTEGER);
    INSERT INTO nums VALUES (1, 5), (2, 'abc'), (3, 7);
    CREATE TABLE times (id INTEGER PRIMARY KEY, at TIMESTAMP);
    INSERT INTO times VALUES (7, 'yesterday');
    CREATE TABLE ids (id INTEGER PRIMARY KEY, ref UUID);
    INSERT INTO ids VALUES (4, 'not-a-uuid');
    CREATE TABLE docs (k TEXT PRIMARY KEY, doc JSON) WITHOUT ROWID;
    INSERT INTO docs VALUES ('a', '[1]'), ('b', '{oops');
  )");
  CollectingSink sink;
  ASSERT_OK(SyncAll({{"connection_string", db.path()}, {"concurrency", 1}}, sink));
  auto errors = sink.Errors();
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(
      errors,
      (std::vector<std::string>{
          "docs: table docs: column doc, row 2: text \"{oops\" is not a valid json",
          "ids: table ids: column ref, row 4: text \"not-a-uuid\" is not a valid uuid (want text "
          "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or a 16-byte blob)",
          "nums: table nums: column n, row 2: text \"abc\" is not a valid int64",
          "times: table times: column at, row 7: text \"yesterday\" is not a valid timestamp "
          "(want text YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM] or integer Unix seconds)",
      }));
  // The rows before the bad one are still delivered.
  EXPECT_EQ(sink.Rows("nums"), std::vector<std::string>{Json(R"({"id":1,"n":5})")});
  EXPECT_EQ(sink.Rows("docs"), std::vector<std::string>{Json(R"({"k":"a","doc":[1]})")});
}

TEST(SqliteSourceTest, SavedCursorOfTheWrongTypeIsATableError) {
  TempDb db;
  db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)");
  CollectingSink sink;
  ASSERT_OK(SyncAll({{"connection_string", db.path()}, {"incremental", {{"t", "id"}}}}, sink,
                    {{"t", "2024-01-01"}}));
  EXPECT_EQ(sink.Errors(),
            std::vector<std::string>{
                "t: table t: saved cursor \"2024-01-01\" is not a valid int64 for column id "
                "(reset the state of this table to sync it from the start)"});
  EXPECT_TRUE(sink.Rows("t").empty());
}

std::string ConfigureError(const nlohmann::json& spec) {
  return NewSqliteSource()->Configure(spec).message();
}

std::string TablesError(const nlohmann::json& spec) {
  auto src = NewSqliteSource();
  Status st = src->Configure(spec);
  if (!st.ok()) return "Configure: " + st.message();
  return src->Tables().status().message();
}

TEST(SqliteSourceTest, ConfigErrorsNameTheOption) {
  EXPECT_EQ(ConfigureError(nlohmann::json::object()),
            "spec.connection_string: required (the path of the SQLite database file to read)");
  EXPECT_EQ(ConfigureError({{"connection_string", "a.db"}, {"chunk_size", 0}}),
            "spec.chunk_size: must be at least 1, got 0");
  EXPECT_EQ(ConfigureError(
                {{"connection_string", "a.db"}, {"incremental", nlohmann::json::array({"t"})}}),
            "spec.incremental: expected a mapping of table name to cursor column, got [\"t\"]");
  EXPECT_EQ(ConfigureError({{"connection_string", "a.db"}, {"incremental", {{"t", 3}}}}),
            "spec.incremental.t: expected the name of the cursor column, got 3");
  EXPECT_NE(ConfigureError({{"connection_string", "a.db"}, {"incremntal", {{"t", "c"}}}})
                .find("spec.incremntal: unknown option"),
            std::string::npos);

  TempDb db;
  db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, raw BLOB)");
  EXPECT_EQ(TablesError({{"connection_string", db.path()}, {"incremental", {{"nope", "id"}}}}),
            fmt::format("spec.incremental.nope: no table nope in {}", db.path()));
  EXPECT_EQ(TablesError({{"connection_string", db.path()}, {"incremental", {{"t", "updated"}}}}),
            "spec.incremental.t: table t has no column updated (columns: id, name, raw)");
  EXPECT_EQ(TablesError({{"connection_string", db.path()}, {"incremental", {{"t", "raw"}}}}),
            "spec.incremental.t: cursor column raw is declared \"BLOB\", which reads as binary; a "
            "cursor column must be declared INTEGER, REAL, TEXT, TIMESTAMP or similar");
}

TEST(SqliteSourceTest, MissingFileFailsWithItsPath) {
  const std::string path = ::testing::TempDir() + "quarry_sqlite_source_missing/none.db";
  EXPECT_EQ(TablesError({{"connection_string", path}}),
            fmt::format("sqlite source {}: open: unable to open database file", path));
  auto src = NewSqliteSource();
  ASSERT_OK(src->Configure({{"connection_string", "file:" + path}}));
  Logger logger;
  EXPECT_EQ(src->Init({&logger}).message(),
            fmt::format("sqlite source {}: open: unable to open database file", path));
}

TEST(SqliteSourceTest, FileUriAndForeignFiles) {
  TempDb db;
  db.Exec("CREATE TABLE t (id INTEGER)");
  auto src = NewSqliteSource();
  ASSERT_OK(src->Configure({{"connection_string", "file:" + db.path() + "?mode=ro"}}));
  auto tables = src->Tables();
  ASSERT_OK(tables);
  EXPECT_EQ((*tables)[0]->name, "t");

  const std::string text = ::testing::TempDir() + "quarry_sqlite_source_not_a_db.txt";
  std::FILE* f = std::fopen(text.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a database, just some text that is long enough to be a header\n", f);
  std::fclose(f);
  auto other = NewSqliteSource();
  ASSERT_OK(other->Configure({{"connection_string", text}}));
  Logger logger;
  EXPECT_EQ(other->Init({&logger}).message(),
            fmt::format("sqlite source {}: read schema: file is not a database", text));
  std::remove(text.c_str());
}

// Tables and columns named with spaces, quotes, capitals and other scripts, as SQLite allows.
constexpr const char* kOddNames = R"(
  CREATE TABLE "t q" ("Customer Name" TEXT, "a""b" INTEGER PRIMARY KEY, "é" REAL);
  INSERT INTO "t q" VALUES ('Ann', 1, 1.5), ('Bob', 2, NULL);
  CREATE TABLE "tébl" ("Order ID" TEXT PRIMARY KEY, "up dated" INTEGER, "x.y" TEXT) WITHOUT ROWID;
  INSERT INTO "tébl" VALUES ('o1', 10, 'a'), ('o2', 20, 'b'), ('o3', 20, 'c'), ('o4', 30, 'd');
  CREATE TABLE "t""q" (id INTEGER PRIMARY KEY, "select" TEXT);
  INSERT INTO "t""q" VALUES (1, 'from');
  CREATE TABLE plain (id INTEGER PRIMARY KEY);
  INSERT INTO plain VALUES (7);
)";

TEST(SqliteSourceTest, AnyNameSqliteAllowsIsListedAsItIs) {
  TempDb db;
  db.Exec(kOddNames);
  auto src = NewSqliteSource();
  ASSERT_OK(
      src->Configure({{"connection_string", db.path()}, {"incremental", {{"tébl", "up dated"}}}}));
  auto tables = src->Tables();
  ASSERT_OK(tables);
  std::vector<std::string> names;
  for (const auto& t : *tables) names.push_back(t->name);
  EXPECT_EQ(names, (std::vector<std::string>{"plain", "t q", "t\"q", "tébl"}));
  EXPECT_EQ(Describe(*(*tables)[1]),
            (std::vector<std::string>{"Customer Name utf8", "a\"b int64 pk not null", "é double"}));
  EXPECT_EQ(
      Describe(*(*tables)[3]),
      (std::vector<std::string>{"Order ID utf8 pk not null", "up dated int64 cursor", "x.y utf8"}));

  // `tables` / `skip_tables` patterns match the names as they are.
  auto picked = schema::SelectTables(*tables, {{"t q", "t*bl"}, {}, true});
  ASSERT_OK(picked);
  ASSERT_EQ(picked->size(), 2u);
  EXPECT_EQ((*picked)[0]->name, "t q");
  EXPECT_EQ((*picked)[1]->name, "tébl");
  picked = schema::SelectTables(*tables, {{"*"}, {"t\"q", "t *"}, true});
  ASSERT_OK(picked);
  ASSERT_EQ(picked->size(), 2u);
  EXPECT_EQ((*picked)[0]->name, "plain");
  EXPECT_EQ((*picked)[1]->name, "tébl");
}

TEST(SqliteSourceTest, OddNamesSyncInFullAndIncrementally) {
  TempDb db;
  db.Exec(kOddNames);
  const nlohmann::json spec = {
      {"connection_string", db.path()}, {"chunk_size", 1}, {"incremental", {{"tébl", "up dated"}}}};
  CollectingSink sink;
  Status st = SyncAll(spec, sink);
  ASSERT_OK(st);
  EXPECT_EQ(sink.Errors(), std::vector<std::string>{});
  EXPECT_EQ(sink.Rows("t q"),
            (std::vector<std::string>{Json(R"({"Customer Name":"Ann","a\"b":1,"é":1.5})"),
                                      Json(R"({"Customer Name":"Bob","a\"b":2,"é":null})")}));
  EXPECT_EQ(sink.Rows("t\"q"), std::vector<std::string>{Json(R"({"id":1,"select":"from"})")});
  // Ties on the cursor are ordered by the quoted primary key and never split by a chunk.
  EXPECT_EQ(sink.Brief("tébl", "Order ID"),
            (std::vector<std::string>{"\"o1\"", "checkpoint 10", "\"o2\"", "\"o3\"",
                                      "checkpoint 20", "\"o4\"", "checkpoint 30"}));
  EXPECT_EQ(sink.Rows("tébl")[0], Json(R"({"Order ID":"o1","up dated":10,"x.y":"a"})"));

  db.Exec(R"(INSERT INTO "tébl" VALUES ('o5', 40, 'e'))");
  CollectingSink next;
  ASSERT_OK(SyncAll(spec, next, {{"tébl", "30"}}));
  EXPECT_EQ(next.Brief("tébl", "Order ID"), (std::vector<std::string>{"\"o5\"", "checkpoint 40"}));
}

TEST(SqliteSourceTest, InvalidUtf8NameIsATableErrorAndTheOtherTablesSync) {
  TempDb db;
  db.Exec(
      "CREATE TABLE \"bad\xff\" (id INTEGER); INSERT INTO \"bad\xff\" VALUES (1);"
      "CREATE TABLE cols (id INTEGER, \"c\xfe\" TEXT); INSERT INTO cols VALUES (1, 'x');"
      "CREATE TABLE good (id INTEGER); INSERT INTO good VALUES (1), (2);");
  auto src = NewSqliteSource();
  ASSERT_OK(src->Configure({{"connection_string", db.path()}}));
  auto tables = src->Tables();
  ASSERT_OK(tables);
  std::vector<std::string> names;
  for (const auto& t : *tables) names.push_back(t->name);
  // Listed under a printable stand-in name, so that patterns can select or skip them.
  EXPECT_EQ(names, (std::vector<std::string>{"bad\\xff", "cols", "good"}));
  EXPECT_EQ(Describe(*(*tables)[1]), std::vector<std::string>{"id int64"});

  CollectingSink sink;
  Status st = SyncAll({{"connection_string", db.path()}}, sink);
  ASSERT_OK(st);
  auto errors = sink.Errors();
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "bad\\xff: the table name is not valid UTF-8; rename the table in "
                        "the database to sync it",
                        "cols: column \"c\\xfe\": the name is not valid UTF-8; rename the "
                        "column in the database",
                    }));
  EXPECT_EQ(sink.Rows("good").size(), 2u);
  EXPECT_TRUE(sink.Rows("bad\\xff").empty());
  EXPECT_TRUE(sink.Rows("cols").empty());
}

TEST(SqliteSourceTest, EmptyNamesAreTableErrors) {
  TempDb db;
  db.Exec(
      "CREATE TABLE \"\" (id INTEGER); CREATE TABLE e (id INTEGER, \"\" TEXT);"
      "CREATE TABLE good (id INTEGER); INSERT INTO good VALUES (1);");
  CollectingSink sink;
  Status st = SyncAll({{"connection_string", db.path()}}, sink);
  ASSERT_OK(st);
  auto errors = sink.Errors();
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "\"\": the table name is empty; rename the table in the database to "
                        "sync it",
                        "e: column \"\": the name is empty; rename the column in the database",
                    }));
  EXPECT_EQ(sink.Rows("good").size(), 1u);
}

TEST(SqliteSourceTest, ColumnNamedLikeACqColumnIsReserved) {
  TempDb db;
  db.Exec(
      "CREATE TABLE x (_cq_id TEXT, v INTEGER); INSERT INTO x VALUES ('a', 1);"
      "CREATE TABLE y (id INTEGER, _cq_sync_time TEXT);"
      "CREATE TABLE good (id INTEGER); INSERT INTO good VALUES (1);");
  CollectingSink sink;
  Status st = SyncAll({{"connection_string", db.path()}}, sink);
  ASSERT_OK(st);
  auto errors = sink.Errors();
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "x: column _cq_id: the name _cq_id is reserved for the column Quarry "
                        "adds to every table; rename the column in the database",
                        "y: column _cq_sync_time: the name _cq_sync_time is reserved for the "
                        "column Quarry adds to every table; rename the column in the database",
                    }));
  EXPECT_TRUE(sink.Rows("x").empty());
  EXPECT_EQ(sink.Rows("good").size(), 1u);
}

}  // namespace
}  // namespace quarry::plugins
