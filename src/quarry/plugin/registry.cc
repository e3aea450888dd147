#include "quarry/plugin/registry.h"

#include <fmt/format.h>

namespace quarry::plugin {

void PluginRegistry::AddSource(std::string name, SourceFactory factory) {
  sources_.emplace(std::move(name), std::move(factory));
}

void PluginRegistry::AddDestination(std::string name, DestinationFactory factory) {
  destinations_.emplace(std::move(name), std::move(factory));
}

void PluginRegistry::SetRemoteFactories(RemoteSourceFactory source,
                                        RemoteDestinationFactory destination) {
  remote_source_ = std::move(source);
  remote_destination_ = std::move(destination);
}

bool PluginRegistry::IsRemoteRegistry(std::string_view registry) {
  return registry == "grpc" || registry == "local";
}

std::string_view PluginRegistry::PluginName(std::string_view path) {
  if (path.starts_with("cloudquery/")) path.remove_prefix(11);
  return path;
}

namespace {

template <typename Map>
std::string Names(const Map& m) {
  std::string s;
  for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k;
  return s;
}

Status CheckRegistry(std::string_view registry, std::string_view kind) {
  if (registry.empty() || registry == "cloudquery") return Status::OK();
  if (registry == "local" || registry == "grpc") {
    return Status::Invalid(fmt::format(
        "registry: \"{}\" plugins (CloudQuery plugin protocol) are not available in this "
        "program; use a built-in {} with registry: cloudquery",
        registry, kind));
  }
  return Status::Invalid(
      fmt::format("registry: unknown registry \"{}\" (use cloudquery, local or grpc)", registry));
}

}  // namespace

Result<std::unique_ptr<SourcePlugin>> PluginRegistry::MakeSource(std::string_view registry,
                                                                 std::string_view path) const {
  if (IsRemoteRegistry(registry) && remote_source_) {
    if (path.empty())
      return Status::Invalid("path: required for registry: " + std::string(registry));
    return remote_source_(registry, path);
  }
  QUARRY_RETURN_NOT_OK(CheckRegistry(registry, "source"));
  auto it = sources_.find(PluginName(path));
  if (it == sources_.end()) {
    return Status::NotFound(
        fmt::format("path: unknown source plugin \"{}\" (available: {})", path, Names(sources_)));
  }
  return it->second();
}

Result<std::unique_ptr<DestinationPlugin>> PluginRegistry::MakeDestination(
    std::string_view registry, std::string_view path) const {
  if (IsRemoteRegistry(registry) && remote_destination_) {
    if (path.empty())
      return Status::Invalid("path: required for registry: " + std::string(registry));
    return remote_destination_(registry, path);
  }
  QUARRY_RETURN_NOT_OK(CheckRegistry(registry, "destination"));
  auto it = destinations_.find(PluginName(path));
  if (it == destinations_.end()) {
    return Status::NotFound(fmt::format("path: unknown destination plugin \"{}\" (available: {})",
                                        path, Names(destinations_)));
  }
  return it->second();
}

std::vector<std::string> PluginRegistry::source_names() const {
  std::vector<std::string> v;
  for (const auto& [k, f] : sources_) v.push_back(k);
  return v;
}

std::vector<std::string> PluginRegistry::destination_names() const {
  std::vector<std::string> v;
  for (const auto& [k, f] : destinations_) v.push_back(k);
  return v;
}

}  // namespace quarry::plugin
