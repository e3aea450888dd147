// Write throughput of the sqlite destination next to the raw speed of SQLite's own fast path: a
// plain C loop of one prepared single-row INSERT per row, bound from the same columns, in the
// same transactions (one per 10,000-row batch), on the same table, with the same pragmas.
//
//   sqlite_destination_bench [rows] [dir] [repetitions]
// Defaults: 1,000,000 rows, the temp directory, best of 5.
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plugins/destination/sqlite/sqlite_destination.h"
#include "quarry/base/time.h"
#include "quarry/base/uuid.h"

namespace {

using namespace quarry;

// CPU time of this thread (user + system, so the WAL writes count): steadier than wall time on a
// shared machine. Both are printed.
struct Times {
  double wall = 0;
  double cpu = 0;
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Stopwatch {
 public:
  Stopwatch() : wall_(std::chrono::steady_clock::now()), cpu_(ThreadCpuSeconds()) {}
  Times Elapsed() const {
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count(),
            ThreadCpuSeconds() - cpu_};
  }

 private:
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

// Rows per Write call (the destination's default batch_size), i.e. per transaction.
constexpr int64_t kWriteRows = 10'000;

// Write calls, each a list of record batches.
using Writes = std::vector<std::vector<types::RecordBatchPtr>>;

schema::TablePtr BenchTable() {
  schema::Table t;
  t.name = "bench";
  auto col = [](std::string n, types::TypePtr ty, bool pk = false) {
    schema::Column c{std::move(n), std::move(ty)};
    c.primary_key = pk;
    return c;
  };
  t.columns = {col("id", types::int64(), true),   col("name", types::utf8()),
               col("region", types::utf8()),      col("count", types::int64()),
               col("price", types::float64()),    col("active", types::boolean()),
               col("created", types::timestamp())};
  return schema::WithCqColumns(t);
}

// `rows` rows in record batches of `batch_rows` rows (sources send records of up to 50 rows;
// the writer hands a destination everything pending in one Write).
Writes MakeWrites(const schema::TablePtr& t, int64_t rows, int64_t batch_rows) {
  Writes out;
  UuidGenerator gen(42);
  const int64_t sync_time = NowMicros();
  for (int64_t start = 0; start < rows; start += batch_rows) {
    types::RecordBatchBuilder b(t->arrow_schema);
    for (int64_t id = start; id < std::min(rows, start + batch_rows); ++id) {
      b.column(0).AppendBytes("bench-source");
      b.column(1).Append<int64_t>(sync_time);
      uint8_t u[16];
      gen.NextV4(u);
      b.column(2).AppendBytes(std::string_view(reinterpret_cast<char*>(u), 16));
      b.column(3).AppendNull();
      b.column(4).Append<int64_t>(id);
      b.column(5).AppendBytes("instance-" + std::to_string(id));
      b.column(6).AppendBytes(id % 2 ? "us-east-1" : "eu-west-1");
      b.column(7).Append<int64_t>(id * 3);
      b.column(8).Append<double>(static_cast<double>(id) * 0.01);
      b.column(9).AppendBool(id % 3 == 0);
      b.column(10).Append<int64_t>(sync_time - id * 1000);
    }
    if (start % kWriteRows == 0) out.emplace_back();
    out.back().push_back(*b.Finish());
  }
  return out;
}

Times Destination(const std::string& file, const schema::TablePtr& t, const Writes& writes,
                  plugin::WriteMode mode) {
  auto d = plugins::NewSqliteDestination();
  plugin::DestinationOptions options;
  options.write_mode = mode;
  if (!d->Configure(nlohmann::json{{"connection_string", file}}).ok() ||
      !d->Init(plugin::PluginContext{}, options).ok() || !d->Migrate({t}).ok()) {
    std::fprintf(stderr, "setup failed\n");
    std::exit(1);
  }
  const Stopwatch watch;
  for (const auto& batches : writes) {
    Status st = d->Write(*t, batches);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      std::exit(1);
    }
  }
  const Times s = watch.Elapsed();
  (void)d->Close();
  return s;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// The plain loop. The table is created by the destination's Migrate so that both runs insert
// into the same declared schema.
Times PlainLoop(const std::string& file, const schema::TablePtr& t, const Writes& writes,
                plugin::WriteMode mode) {
  {
    auto d = plugins::NewSqliteDestination();
    plugin::DestinationOptions options;
    options.write_mode = mode;
    (void)d->Configure(nlohmann::json{{"connection_string", file}});
    (void)d->Init(plugin::PluginContext{}, options);
    (void)d->Migrate({t});
    (void)d->Close();
  }
  sqlite3* db = nullptr;
  // The same open flags as the destination (no connection mutex).
  Check(sqlite3_open_v2(file.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        db, "open");
  Check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                     "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY",
                     nullptr, nullptr, nullptr),
        db, "pragma");
  sqlite3_stmt* st = nullptr;
  Check(sqlite3_prepare_v2(
            db, "INSERT INTO bench VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", -1, &st,
            nullptr),
        db, "prepare");
  const Stopwatch watch;
  char ts1[26], ts2[26], uuid[36];
  for (const auto& batches : writes) {
    Check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db, "begin");
    for (const auto& b : batches) {
      for (int64_t i = 0; i < b->num_rows(); ++i) {
        const auto src = b->column(0).GetView(i);
        sqlite3_bind_text(st, 1, src.data(), static_cast<int>(src.size()), SQLITE_STATIC);
        FormatTimestampMicros(b->column(1).Value<int64_t>(i), ts1);
        sqlite3_bind_text(st, 2, ts1, 26, SQLITE_STATIC);
        FormatUuid(reinterpret_cast<const uint8_t*>(b->column(2).GetView(i).data()), uuid);
        sqlite3_bind_text(st, 3, uuid, 36, SQLITE_STATIC);
        sqlite3_bind_null(st, 4);
        sqlite3_bind_int64(st, 5, b->column(4).Value<int64_t>(i));
        const auto name = b->column(5).GetView(i);
        sqlite3_bind_text(st, 6, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
        const auto region = b->column(6).GetView(i);
        sqlite3_bind_text(st, 7, region.data(), static_cast<int>(region.size()), SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, b->column(7).Value<int64_t>(i));
        sqlite3_bind_double(st, 9, b->column(8).Value<double>(i));
        sqlite3_bind_int(st, 10, b->column(9).BoolValue(i) ? 1 : 0);
        FormatTimestampMicros(b->column(10).Value<int64_t>(i), ts2);
        sqlite3_bind_text(st, 11, ts2, 26, SQLITE_STATIC);
        Check(sqlite3_step(st), db, "step");
        sqlite3_reset(st);
      }
    }
    Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  const Times s = watch.Elapsed();
  sqlite3_finalize(st);
  sqlite3_close(db);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const std::filesystem::path dir =
      argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path();
  const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  const auto table = BenchTable();
  std::printf("%lld rows of 11 columns, %lld rows per Write call, best of %d\n",
              static_cast<long long>(rows), static_cast<long long>(kWriteRows), reps);
  for (const int64_t batch_rows : {kWriteRows, int64_t{50}}) {
    const Writes writes = MakeWrites(table, rows, batch_rows);
    for (auto mode : {plugin::WriteMode::kAppend, plugin::WriteMode::kOverwrite}) {
      Times best[2] = {{1e100, 1e100}, {1e100, 1e100}};  // plain loop, destination
      for (int rep = 0; rep < reps; ++rep) {
        for (int which = 0; which < 2; ++which) {
          const std::string file =
              (dir / ("quarry_sqlite_bench_" + std::to_string(which) + ".db")).string();
          for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
          const Times t = which == 0 ? PlainLoop(file, table, writes, mode)
                                     : Destination(file, table, writes, mode);
          best[which].wall = std::min(best[which].wall, t.wall);
          best[which].cpu = std::min(best[which].cpu, t.cpu);
          for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
        }
      }
      std::printf(
          "%-9s %5lld-row batches  wall: plain %7.0f rows/s, destination %7.0f rows/s, ratio "
          "%.2f | cpu: plain %7.0f rows/s, destination %7.0f rows/s, ratio %.2f\n",
          std::string(plugin::ToString(mode)).c_str(), static_cast<long long>(batch_rows),
          rows / best[0].wall, rows / best[1].wall, best[0].wall / best[1].wall, rows / best[0].cpu,
          rows / best[1].cpu, best[0].cpu / best[1].cpu);
    }
  }
  return 0;
}
