// The PostgreSQL baseline for `make bench`: a plain libpq loop that writes the same
// test_inventory rows Quarry writes (same generator, same bookkeeping values, the table Quarry's
// postgresql destination creates) with binary COPY, one COPY and transaction per 10,000 rows
// (the destination's default batch size).
//
// usage: pg_copy_loop DSN ROWS SEED append|upsert
// Prints one line: rows=<n> seconds=<s>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "plugins/source/test/inventory.h"
#include "quarry/base/time.h"
#include "quarry/base/uuid.h"

namespace {

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr int64_t kPgEpochMicros = 946'684'800'000'000LL;

void Die(PGconn* conn, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, PQerrorMessage(conn));
  std::exit(1);
}

void Exec(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    Die(conn, sql.c_str());
  }
  PQclear(r);
}

class Tuple {
 public:
  explicit Tuple(std::string* out) : out_(out) {}
  void Begin(int16_t fields) { Put16(fields); }
  void Null() { Put32(-1); }
  void Bytes(std::string_view v) {
    Put32(static_cast<int32_t>(v.size()));
    out_->append(v);
  }
  void Int64(int64_t v) {
    Put32(8);
    Put64(static_cast<uint64_t>(v));
  }
  void Double(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    Put32(8);
    Put64(bits);
  }
  void Bool(bool v) {
    Put32(1);
    out_->push_back(v ? 1 : 0);
  }
  void Timestamp(int64_t unix_micros) { Int64(unix_micros - kPgEpochMicros); }
  void Jsonb(std::string_view v) {
    Put32(static_cast<int32_t>(v.size() + 1));
    out_->push_back(1);
    out_->append(v);
  }
  void Put16(int16_t v) {
    const uint16_t u = static_cast<uint16_t>(v);
    out_->push_back(static_cast<char>(u >> 8));
    out_->push_back(static_cast<char>(u));
  }
  void Put32(int32_t v) {
    const uint32_t u = static_cast<uint32_t>(v);
    for (int s = 24; s >= 0; s -= 8) out_->push_back(static_cast<char>(u >> s));
  }
  void Put64(uint64_t u) {
    for (int s = 56; s >= 0; s -= 8) out_->push_back(static_cast<char>(u >> s));
  }

 private:
  std::string* out_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DSN ROWS SEED append|upsert\n", argv[0]);
    return 2;
  }
  const int64_t rows = std::atoll(argv[2]);
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const bool upsert = std::string(argv[4]) == "upsert";
  constexpr int64_t kBatch = 10'000;

  const auto start = std::chrono::steady_clock::now();
  PGconn* conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) Die(conn, "connect");
  Exec(conn, "SET client_min_messages = warning");
  Exec(conn, "DROP TABLE IF EXISTS \"test_inventory\"");
  Exec(conn,
       std::string(R"(CREATE TABLE "test_inventory" ()"
                   R"("_cq_source_name" text, "_cq_sync_time" timestamp, "_cq_id" uuid NOT NULL, )"
                   R"("_cq_parent_id" uuid, "id" text NOT NULL, "account_id" text, "region" text, )"
                   R"("arn" text, "name" text, "resource_type" text, "state" text, )"
                   R"("created_at" timestamp, "updated_at" timestamp, "tags" jsonb, )"
                   R"("public" boolean, "encrypted" boolean, "size_bytes" bigint, )"
                   R"("monthly_cost" double precision)") +
           (upsert ? R"(, PRIMARY KEY ("id")))" : ")"));

  const int64_t sync_time = quarry::NowMicros();
  quarry::UuidGenerator uuids;
  char buf[quarry::plugins::inventory::kRowBuffer];
  uint8_t id[16];
  quarry::plugins::inventory::Row row;
  std::string data;
  static const char kHeader[] = "PGCOPY\n\377\r\n\0";
  for (int64_t n = 0; n < rows;) {
    Exec(conn, "BEGIN");
    PGresult* copy = PQexec(conn, "COPY \"test_inventory\" FROM STDIN (FORMAT binary)");
    if (PQresultStatus(copy) != PGRES_COPY_IN) Die(conn, "copy");
    PQclear(copy);
    data.assign(kHeader, 11);
    Tuple t(&data);
    t.Put32(0);
    t.Put32(0);
    const int64_t end = std::min(rows, n + kBatch);
    for (; n < end; ++n) {
      quarry::plugins::inventory::MakeRow(seed, static_cast<uint64_t>(n), buf, &row);
      uuids.NextV4(id);
      t.Begin(18);
      t.Bytes("bench");
      t.Timestamp(sync_time);
      t.Bytes(std::string_view(reinterpret_cast<char*>(id), 16));
      t.Null();
      t.Bytes(row.id);
      t.Bytes(row.account_id);
      t.Bytes(row.region);
      t.Bytes(row.arn);
      t.Bytes(row.name);
      t.Bytes(row.resource_type);
      t.Bytes(row.state);
      t.Timestamp(row.created_at);
      t.Timestamp(row.updated_at);
      t.Jsonb(row.tags);
      t.Bool(row.is_public);
      t.Bool(row.encrypted);
      t.Int64(row.size_bytes);
      t.Double(row.monthly_cost);
      if (data.size() > (1 << 20)) {
        if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1) Die(conn, "copy");
        data.clear();
      }
    }
    t.Put16(-1);
    if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1) Die(conn, "copy");
    if (PQputCopyEnd(conn, nullptr) != 1) Die(conn, "copy end");
    PGresult* r = PQgetResult(conn);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(conn, "copy result");
    PQclear(r);
    while ((r = PQgetResult(conn)) != nullptr) PQclear(r);
    Exec(conn, "COMMIT");
  }
  PQfinish(conn);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("rows=%lld seconds=%.3f\n", static_cast<long long>(rows), secs);
  return 0;
}
