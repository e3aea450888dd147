#include "quarry/config/spec.h"

#include <fmt/format.h>

namespace quarry::config {

std::string Location::ToString() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

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

plugin::DestinationOptions DestinationSpec::options() const {
  plugin::DestinationOptions o;
  o.name = name;
  o.write_mode = write_mode;
  o.migrate_mode = migrate_mode;
  o.pk_mode = pk_mode;
  return o;
}

const DestinationSpec* Config::FindDestination(std::string_view name) const {
  for (const auto& d : destinations) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

}  // namespace quarry::config
