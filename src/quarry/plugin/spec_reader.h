// SpecReader: strict, typed reading of a plugin's `spec:` options (a JSON object).
//
// Sticky status, as leveldb's TableBuilder: each getter returns the default when the key is
// absent or wrong, and Finish() returns the first problem — a wrong type, an out-of-range value
// (a number too large says so and gives the maximum), or a key nobody asked for. No input makes
// a getter throw. Messages start with the dotted key path ("spec.num_rows: …"), which
// the config layer turns into a file:line.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/base/status.h"

namespace quarry::plugin {

class SpecReader {
 public:
  // `spec` may be null (no options given).
  explicit SpecReader(const nlohmann::json& spec);

  int64_t Int(std::string_view key, int64_t fallback, int64_t min = INT64_MIN,
              int64_t max = INT64_MAX);
  bool Bool(std::string_view key, bool fallback);
  std::string String(std::string_view key, std::string_view fallback);
  std::vector<std::string> StringList(std::string_view key);
  // A duration: a number of seconds or a string such as "20s", "500ms", "1m30s". In microseconds;
  // at most 2562047h.
  int64_t DurationMicros(std::string_view key, int64_t fallback_micros);
  // A size: a number of bytes or a string such as "10MiB", "5MB", "512KiB"; at most INT64_MAX.
  int64_t Bytes(std::string_view key, int64_t fallback);
  bool Has(std::string_view key) const;
  // The raw value for options with a shape of their own (marks the key as known).
  const nlohmann::json* Raw(std::string_view key);

  // The first error, else an error for the first key that no getter asked for.
  Status Finish() const;

 private:
  const nlohmann::json* Get(std::string_view key);
  void Fail(std::string_view key, std::string_view message);

  const nlohmann::json& spec_;
  std::set<std::string, std::less<>> known_;
  Status status_;
};

}  // namespace quarry::plugin
