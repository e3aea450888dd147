// The baseline for `make bench`: a plain C loop of prepared single-row SQLite inserts writing the
// same test_inventory rows Quarry writes (same generator, same bookkeeping values, same table
// definition, same pragmas (WAL, synchronous=NORMAL, 64 MiB page cache), one transaction per 10,000
// rows — Quarry's default batch size).
//
// usage: sqlite_plain_loop DB ROWS SEED append|upsert
// Prints one line: rows=<n> seconds=<s>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "plugins/source/test/inventory.h"
#include "quarry/base/time.h"
#include "quarry/base/uuid.h"

namespace {

void Check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Exec(sqlite3* db, const std::string& sql) {
  Check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DB ROWS SEED append|upsert\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  const int64_t rows = std::atoll(argv[2]);
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const bool upsert = std::string(argv[4]) == "upsert";
  constexpr int64_t kBatch = 10'000;

  const auto start = std::chrono::steady_clock::now();
  sqlite3* db = nullptr;
  Check(db, sqlite3_open(path, &db), "open");
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, "PRAGMA synchronous=NORMAL");
  // The SQLite destination's settings, so only the loading path differs.
  Exec(db, "PRAGMA cache_size=-65536");
  Exec(db, "PRAGMA temp_store=MEMORY");
  Exec(db,
       std::string(R"(CREATE TABLE IF NOT EXISTS "test_inventory" ()"
                   R"("_cq_source_name" text, "_cq_sync_time" timestamp, "_cq_id" text NOT NULL, )"
                   R"("_cq_parent_id" text, "id" text NOT NULL, "account_id" text, "region" text, )"
                   R"("arn" text, "name" text, "resource_type" text, "state" text, )"
                   R"("created_at" timestamp, "updated_at" timestamp, "tags" text, )"
                   R"("public" boolean, "encrypted" boolean, "size_bytes" integer, )"
                   R"("monthly_cost" real)") +
           (upsert ? R"(, PRIMARY KEY ("id")))" : ")"));
  sqlite3_stmt* stmt = nullptr;
  Check(db,
        sqlite3_prepare_v2(db,
                           "INSERT INTO \"test_inventory\" VALUES "
                           "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &stmt, nullptr),
        "prepare");

  const std::string sync_time = quarry::FormatTimestampMicros(quarry::NowMicros());
  quarry::UuidGenerator uuids;
  char buf[quarry::plugins::inventory::kRowBuffer];
  char id_text[36], created[26], updated[26];
  uint8_t id[16];
  quarry::plugins::inventory::Row row;
  auto text = [&](int i, std::string_view s) {
    sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  };
  for (int64_t n = 0; n < rows; ++n) {
    if (n % kBatch == 0) Exec(db, "BEGIN");
    quarry::plugins::inventory::MakeRow(seed, static_cast<uint64_t>(n), buf, &row);
    uuids.NextV4(id);
    quarry::FormatUuid(id, id_text);
    quarry::FormatTimestampMicros(row.created_at, created);
    quarry::FormatTimestampMicros(row.updated_at, updated);
    text(1, "bench");
    text(2, sync_time);
    text(3, std::string_view(id_text, 36));
    sqlite3_bind_null(stmt, 4);
    text(5, row.id);
    text(6, row.account_id);
    text(7, row.region);
    text(8, row.arn);
    text(9, row.name);
    text(10, row.resource_type);
    text(11, row.state);
    text(12, std::string_view(created, 26));
    text(13, std::string_view(updated, 26));
    text(14, row.tags);
    sqlite3_bind_int(stmt, 15, row.is_public);
    sqlite3_bind_int(stmt, 16, row.encrypted);
    sqlite3_bind_int64(stmt, 17, row.size_bytes);
    sqlite3_bind_double(stmt, 18, row.monthly_cost);
    Check(db, sqlite3_step(stmt), "insert");
    sqlite3_reset(stmt);
    if (n % kBatch == kBatch - 1 || n == rows - 1) Exec(db, "COMMIT");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("rows=%lld seconds=%.3f\n", static_cast<long long>(rows), secs);
  return 0;
}
