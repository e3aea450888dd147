#include "quarry/plugin/spec_reader.h"

#include <fmt/format.h>

#include <cctype>

namespace quarry::plugin {

SpecReader::SpecReader(const nlohmann::json& spec) : spec_(spec) {
  if (!spec_.is_null() && !spec_.is_object()) {
    status_ = Status::Invalid(fmt::format("spec: expected a mapping of options, got {}", spec_.dump()));
  }
}

bool SpecReader::Has(std::string_view key) const {
  return spec_.is_object() && spec_.contains(key);
}

const nlohmann::json* SpecReader::Get(std::string_view key) {
  known_.emplace(key);
  if (!spec_.is_object()) return nullptr;
  auto it = spec_.find(key);
  if (it == spec_.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json* SpecReader::Raw(std::string_view key) { return Get(key); }

void SpecReader::Fail(std::string_view key, std::string_view message) {
  if (status_.ok()) status_ = Status::Invalid(fmt::format("spec.{}: {}", key, message));
}

int64_t SpecReader::Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const auto* v = Get(key);
  if (v == nullptr) return fallback;
  if (!v->is_number_integer()) {
    Fail(key, fmt::format("expected an integer, got {}", v->dump()));
    return fallback;
  }
  const int64_t n = v->get<int64_t>();
  if (n < min || n > max) {
    if (max == INT64_MAX) {
      Fail(key, fmt::format("must be at least {}, got {}", min, n));
    } else {
      Fail(key, fmt::format("must be between {} and {}, got {}", min, max, n));
    }
    return fallback;
  }
  return n;
}

bool SpecReader::Bool(std::string_view key, bool fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) {
    Fail(key, fmt::format("expected true or false, got {}", v->dump()));
    return fallback;
  }
  return v->get<bool>();
}

std::string SpecReader::String(std::string_view key, std::string_view fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return std::string(fallback);
  if (!v->is_string()) {
    Fail(key, fmt::format("expected a string, got {}", v->dump()));
    return std::string(fallback);
  }
  return v->get<std::string>();
}

std::vector<std::string> SpecReader::StringList(std::string_view key) {
  const auto* v = Get(key);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array()) {
    Fail(key, fmt::format("expected a list of strings, got {}", v->dump()));
    return out;
  }
  for (const auto& e : *v) {
    if (!e.is_string()) {
      Fail(key, fmt::format("expected a list of strings, got element {}", e.dump()));
      return {};
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

namespace {

// Parses "1m30s", "500ms", "20s", "2h" into microseconds; -1 on error.
int64_t ParseDuration(std::string_view s) {
  if (s.empty()) return -1;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (start == i) return -1;
    const double n = std::stod(std::string(s.substr(start, i - start)));
    size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    const std::string_view unit = s.substr(ustart, i - ustart);
    double mult;
    if (unit == "us" || unit == "µs") mult = 1;
    else if (unit == "ms") mult = 1e3;
    else if (unit == "s" || unit.empty()) mult = 1e6;
    else if (unit == "m") mult = 60e6;
    else if (unit == "h") mult = 3600e6;
    else return -1;
    total += static_cast<int64_t>(n * mult);
  }
  return total;
}

int64_t ParseBytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return -1;
  const double n = std::stod(std::string(s.substr(0, i)));
  std::string unit;
  for (char c : s.substr(i)) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  double mult;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "kb") mult = 1e3;
  else if (unit == "mb") mult = 1e6;
  else if (unit == "gb") mult = 1e9;
  else if (unit == "kib") mult = 1024;
  else if (unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "gib") mult = 1024.0 * 1024 * 1024;
  else return -1;
  return static_cast<int64_t>(n * mult);
}

}  // namespace

int64_t SpecReader::DurationMicros(std::string_view key, int64_t fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return fallback;
  if (v->is_number() && v->get<double>() >= 0) return static_cast<int64_t>(v->get<double>() * 1e6);
  if (v->is_string()) {
    const int64_t us = ParseDuration(v->get<std::string>());
    if (us >= 0) return us;
  }
  Fail(key, fmt::format("expected a duration such as \"20s\" or \"500ms\", got {}", v->dump()));
  return fallback;
}

int64_t SpecReader::Bytes(std::string_view key, int64_t fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return fallback;
  if (v->is_number_integer() && v->get<int64_t>() > 0) return v->get<int64_t>();
  if (v->is_string()) {
    const int64_t n = ParseBytes(v->get<std::string>());
    if (n > 0) return n;
  }
  Fail(key, fmt::format("expected a positive size such as 10485760 or \"10MiB\", got {}", v->dump()));
  return fallback;
}

Status SpecReader::Finish() const {
  if (!status_.ok()) return status_;
  if (!spec_.is_object()) return Status::OK();
  for (const auto& [key, value] : spec_.items()) {
    if (known_.count(key) == 0) {
      std::string known;
      for (const auto& k : known_) known += (known.empty() ? "" : ", ") + k;
      return Status::Invalid(fmt::format("spec.{}: unknown option (known options: {})", key,
                                         known.empty() ? "none" : known));
    }
  }
  return Status::OK();
}

}  // namespace quarry::plugin
