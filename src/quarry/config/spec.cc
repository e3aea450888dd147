#include "quarry/config/spec.h"

#include <fmt/format.h>

namespace quarry::config {

std::string Location::ToString() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {
constexpr std::string_view kWriteModes[] = {"overwrite-delete-stale", "overwrite", "append"};
constexpr std::string_view kMigrateModes[] = {"safe", "forced"};
constexpr std::string_view kPkModes[] = {"default", "cq-id-only"};

template <typename E, size_t N>
Result<E> ParseEnum(std::string_view s, const std::string_view (&names)[N], std::string_view what) {
  std::string all;
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
    all += (i ? ", " : "") + std::string(names[i]);
  }
  return Status::Invalid(fmt::format("unknown {} \"{}\" (use {})", what, s, all));
}
}  // namespace

std::string_view ToString(WriteMode m) { return kWriteModes[static_cast<int>(m)]; }
std::string_view ToString(MigrateMode m) { return kMigrateModes[static_cast<int>(m)]; }
std::string_view ToString(PkMode m) { return kPkModes[static_cast<int>(m)]; }
Result<WriteMode> ParseWriteMode(std::string_view s) {
  return ParseEnum<WriteMode>(s, kWriteModes, "write_mode");
}
Result<MigrateMode> ParseMigrateMode(std::string_view s) {
  return ParseEnum<MigrateMode>(s, kMigrateModes, "migrate_mode");
}
Result<PkMode> ParsePkMode(std::string_view s) { return ParseEnum<PkMode>(s, kPkModes, "pk_mode"); }

Location PluginSpec::Locate(std::string_view key) const {
  std::string k(key);
  while (!k.empty()) {
    auto it = key_locations.find(k);
    if (it != key_locations.end()) return it->second;
    const size_t dot = k.rfind('.');
    if (dot == std::string::npos) break;
    k.resize(dot);
  }
  return location;
}

Status PluginSpec::ErrorAt(std::string_view key, std::string_view message) const {
  return Status::Invalid(
      fmt::format("{}: {} \"{}\": {}", Locate(key).ToString(), kind, name, message));
}

Status PluginSpec::LocateError(const Status& status) const {
  if (status.ok()) return status;
  const std::string& msg = status.message();
  // The message starts with a dotted key path ("spec.num_rows: …") when it concerns one key.
  const size_t colon = msg.find(": ");
  std::string key;
  if (colon != std::string::npos) {
    key = msg.substr(0, colon);
    for (char c : key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) {
        key.clear();
        break;
      }
    }
  }
  Status located = ErrorAt(key, msg);
  return Status(
      status.code() == StatusCode::kNotFound ? StatusCode::kInvalidArgument : status.code(),
      located.message());
}

const DestinationSpec* Config::FindDestination(std::string_view name) const {
  for (const auto& d : destinations) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

}  // namespace quarry::config
