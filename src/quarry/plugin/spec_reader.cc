#include "quarry/plugin/spec_reader.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

namespace quarry::plugin {
namespace {

// How a value is shown in a message: as JSON, shortened in the middle when long (a 400-digit
// number must not drown the message). Never throws, even for a string that is not UTF-8.
std::string Shown(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr size_t kMax = 48, kHead = 22, kTail = 10;
  if (s.size() <= kMax) return s;
  // Cut between characters, not inside one.
  auto continuation = [&](size_t i) { return (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80; };
  size_t head = kHead, tail = s.size() - kTail;
  while (head > 0 && continuation(head)) --head;
  while (tail < s.size() && continuation(tail)) ++tail;
  return s.substr(0, head) + "..." + s.substr(tail);
}

// Digits with an optional sign: how the config layer keeps an integer beyond 64 bits.
bool IsDecimalDigits(std::string_view s) {
  if (s.starts_with('-') || s.starts_with('+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

SpecReader::SpecReader(const nlohmann::json& spec) : spec_(spec) {
  if (!spec_.is_null() && !spec_.is_object()) {
    status_ =
        Status::Invalid(fmt::format("spec: expected a mapping of options, got {}", Shown(spec_)));
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
  if (v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX) {
    Fail(key, fmt::format("{} is too large (the maximum is {})", v->dump(), max));
    return fallback;
  }
  if (v->is_string() && IsDecimalDigits(v->get_ref<const std::string&>())) {
    // Digits beyond 64 bits, which the config layer keeps as written; quoted digits that fit
    // are a string, reported below.
    const std::string& digits = v->get_ref<const std::string&>();
    const char* first = digits.data() + (digits.starts_with('+') ? 1 : 0);
    int64_t n = 0;
    if (std::from_chars(first, digits.data() + digits.size(), n).ec ==
        std::errc::result_out_of_range) {
      if (digits.starts_with('-')) {
        Fail(key, fmt::format("{} is too small (the minimum is {})", digits, min));
      } else {
        Fail(key, fmt::format("{} is too large (the maximum is {})", digits, max));
      }
      return fallback;
    }
  }
  if (!v->is_number_integer()) {
    Fail(key, fmt::format("expected an integer, got {}", Shown(*v)));
    return fallback;
  }
  const int64_t n = v->get<int64_t>();
  if (n > max) {
    Fail(key, fmt::format("{} is too large (the maximum is {})", n, max));
    return fallback;
  }
  if (n < min) {
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
    Fail(key, fmt::format("expected true or false, got {}", Shown(*v)));
    return fallback;
  }
  return v->get<bool>();
}

std::string SpecReader::String(std::string_view key, std::string_view fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return std::string(fallback);
  if (!v->is_string()) {
    Fail(key, fmt::format("expected a string, got {}", Shown(*v)));
    return std::string(fallback);
  }
  return v->get<std::string>();
}

std::vector<std::string> SpecReader::StringList(std::string_view key) {
  const auto* v = Get(key);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array()) {
    Fail(key, fmt::format("expected a list of strings, got {}", Shown(*v)));
    return out;
  }
  for (const auto& e : *v) {
    if (!e.is_string()) {
      Fail(key, fmt::format("expected a list of strings, got element {}", Shown(e)));
      return {};
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

namespace {

// The largest duration and size accepted; a duration is kept in int64 microseconds.
constexpr int64_t kMaxDurationHours = 2'562'047;
constexpr double kMaxDurationMicros = kMaxDurationHours * 3600.0 * 1e6;
constexpr double kMaxBytes = static_cast<double>(INT64_MAX);

// What parsing a duration or a size gave.
struct Parsed {
  enum Kind { kOk, kBad, kTooLarge } kind = kBad;
  int64_t value = 0;
};

// A decimal number such as "12" or "1.5" at the start of `s` (no sign, no exponent); advances
// `s` past it. A number too large for a double is +infinity, so that the caller says "too large".
std::optional<double> TakeNumber(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  const std::string_view text = s.substr(0, i);
  if (text.empty() || text == ".") return std::nullopt;
  double n = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), n, std::chars_format::fixed);
  if (end != text.data() + text.size()) return std::nullopt;  // "1.5.3"
  if (ec == std::errc::result_out_of_range) {
    // Out of range one way or the other: a nonzero digit before the point means huge.
    const std::string_view whole = text.substr(0, text.find('.'));
    n = whole.find_first_not_of('0') == std::string_view::npos ? 0.0 : HUGE_VAL;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  s.remove_prefix(i);
  return n;
}

// Microseconds from "1m30s", "500ms", "20s", "2h", "250us" (a bare number is seconds).
Parsed ParseDuration(std::string_view s) {
  if (s.empty()) return {};
  double total = 0;
  while (!s.empty()) {
    const std::optional<double> n = TakeNumber(s);
    if (!n) return {};
    size_t unit_len = 0;
    while (unit_len < s.size() && !std::isdigit(static_cast<unsigned char>(s[unit_len])) &&
           s[unit_len] != '.') {
      ++unit_len;
    }
    const std::string_view unit = s.substr(0, unit_len);
    s.remove_prefix(unit_len);
    double mult;
    if (unit == "us" || unit == "\u00b5s")
      mult = 1;
    else if (unit == "ms")
      mult = 1e3;
    else if (unit == "s" || unit.empty())
      mult = 1e6;
    else if (unit == "m")
      mult = 60e6;
    else if (unit == "h")
      mult = 3600e6;
    else
      return {};
    total += *n * mult;
  }
  if (total > kMaxDurationMicros) return {Parsed::kTooLarge};
  return {Parsed::kOk, static_cast<int64_t>(total)};
}

// Bytes from "10MiB", "5MB", "512KiB", "1.5 GiB" (a bare number is bytes).
Parsed ParseBytes(std::string_view s) {
  const std::optional<double> n = TakeNumber(s);
  if (!n) return {};
  std::string unit;
  for (char c : s) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  double mult;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "kb")
    mult = 1e3;
  else if (unit == "mb")
    mult = 1e6;
  else if (unit == "gb")
    mult = 1e9;
  else if (unit == "kib")
    mult = 1024;
  else if (unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else
    return {};
  const double bytes = *n * mult;
  // INT64_MAX is not a double; 2^63 (its rounding) is already too large.
  if (bytes >= kMaxBytes) return {Parsed::kTooLarge};
  return {Parsed::kOk, static_cast<int64_t>(bytes)};
}

}  // namespace

int64_t SpecReader::DurationMicros(std::string_view key, int64_t fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return fallback;
  Parsed p;
  if (v->is_number() && v->get<double>() >= 0) {
    const double micros = v->get<double>() * 1e6;
    p = micros > kMaxDurationMicros ? Parsed{Parsed::kTooLarge}
                                    : Parsed{Parsed::kOk, static_cast<int64_t>(micros)};
  } else if (v->is_string()) {
    p = ParseDuration(v->get_ref<const std::string&>());
  }
  if (p.kind == Parsed::kOk) return p.value;
  if (p.kind == Parsed::kTooLarge) {
    Fail(key, fmt::format("{} is too large (the maximum is {}h)", Shown(*v), kMaxDurationHours));
  } else {
    Fail(key, fmt::format("expected a duration such as \"20s\" or \"500ms\", got {}", Shown(*v)));
  }
  return fallback;
}

int64_t SpecReader::Bytes(std::string_view key, int64_t fallback) {
  const auto* v = Get(key);
  if (v == nullptr) return fallback;
  Parsed p;
  if (v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX) {
    p.kind = Parsed::kTooLarge;
  } else if (v->is_number_integer()) {
    p = {Parsed::kOk, v->get<int64_t>()};
  } else if (v->is_string()) {
    p = ParseBytes(v->get_ref<const std::string&>());
  }
  if (p.kind == Parsed::kOk && p.value > 0) return p.value;
  if (p.kind == Parsed::kTooLarge) {
    Fail(key, fmt::format("{} is too large (the maximum is {} bytes)", Shown(*v), INT64_MAX));
  } else {
    Fail(key,
         fmt::format("expected a positive size such as 10485760 or \"10MiB\", got {}", Shown(*v)));
  }
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
