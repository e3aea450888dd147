// The rows of the `test_inventory` table, generated from (seed, resource number) alone, so the
// benchmark's plain SQLite loop can write exactly the rows Quarry writes.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>

namespace quarry::plugins::inventory {

// A stateless 64-bit mix (splitmix64's finaliser).
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// The pseudo-random value of (seed, a, b, c): the same inputs give the same value on every run.
inline uint64_t Rand(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return Mix(seed * 0x9e3779b97f4a7c15ULL ^ Mix(a + 0x632be59bd9b4e019ULL * Mix(b ^ Mix(c))));
}

// Writes v as lowercase hex with exactly `digits` digits; returns the end.
inline char* PutHex(char* p, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = kHex[v & 15];
    v >>= 4;
  }
  return p + digits;
}

inline char* PutStr(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* PutDec(char* p, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

struct Row {
  std::string_view id, account_id, region, arn, name, resource_type, state, tags;
  int64_t created_at, updated_at;  // microseconds since the epoch, UTC
  bool is_public, encrypted;
  int64_t size_bytes;
  double monthly_cost;
};

// Size `buf` must have for MakeRow.
inline constexpr size_t kRowBuffer = 512;

// Fills `row` for resource number n; its strings point into `buf` or into static storage.
inline void MakeRow(uint64_t seed, uint64_t n, char* buf, Row* row) {
  static constexpr std::string_view kRegions[] = {
      "us-east-1",      "us-west-2",      "eu-west-1", "eu-central-1",
      "ap-southeast-2", "ap-northeast-1", "sa-east-1", "ca-central-1"};
  static constexpr std::string_view kTypes[] = {"instance", "volume",   "bucket",
                                                "function", "database", "load-balancer"};
  static constexpr std::string_view kStates[] = {"running", "stopped", "pending", "terminated"};
  static constexpr std::string_view kTeams[] = {"payments", "search", "platform",
                                                "data",     "web",    "ml"};
  static constexpr std::string_view kEnvs[] = {"prod", "staging", "dev"};

  const uint64_t r = Rand(seed, 6, n);
  const uint64_t account = 100000000000ULL + Rand(seed, 7, n / 5000) % 900000000000ULL;
  row->region = kRegions[(r >> 8) % std::size(kRegions)];
  row->resource_type = kTypes[(r >> 16) % std::size(kTypes)];
  row->state = kStates[(r >> 32) % std::size(kStates)];
  const std::string_view team = kTeams[(r >> 24) % std::size(kTeams)];

  char* p = buf;
  char* start = p;
  p = PutStr(p, "r-");
  p = PutHex(p, n * 0x9e3779b97f4a7c15ULL ^ seed, 16);
  row->id = {start, static_cast<size_t>(p - start)};

  start = p;
  p = PutDec(p, account);
  row->account_id = {start, static_cast<size_t>(p - start)};

  start = p;
  p = PutStr(p, "arn:aws:");
  p = PutStr(p, row->resource_type);
  *p++ = ':';
  p = PutStr(p, row->region);
  *p++ = ':';
  p = PutStr(p, row->account_id);
  *p++ = ':';
  p = PutStr(p, row->resource_type);
  *p++ = '/';
  p = PutStr(p, row->id);
  row->arn = {start, static_cast<size_t>(p - start)};

  start = p;
  p = PutStr(p, team);
  *p++ = '-';
  p = PutStr(p, row->resource_type);
  *p++ = '-';
  p = PutDec(p, n % 100000);
  row->name = {start, static_cast<size_t>(p - start)};

  start = p;
  p = PutStr(p, R"({"team":")");
  p = PutStr(p, team);
  p = PutStr(p, R"(","env":")");
  p = PutStr(p, kEnvs[(r >> 40) % std::size(kEnvs)]);
  p = PutStr(p, R"(","cost_center":")");
  p = PutDec(p, 1000 + (r >> 44) % 9000);
  p = PutStr(p, R"("})");
  row->tags = {start, static_cast<size_t>(p - start)};

  row->created_at = 1'600'000'000'000'000LL + static_cast<int64_t>(r % 150'000'000'000'000ULL);
  row->updated_at = row->created_at + static_cast<int64_t>((r >> 20) % 10'000'000'000'000ULL);
  row->is_public = ((r >> 50) & 15) == 0;
  row->encrypted = ((r >> 54) & 3) != 0;
  row->size_bytes = static_cast<int64_t>((r >> 12) % 1'000'000'000'000ULL);
  row->monthly_cost = static_cast<double>((r >> 28) % 1'000'000) / 100.0;
}

}  // namespace quarry::plugins::inventory
