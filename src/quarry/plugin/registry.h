// PluginRegistry: the built-in plugins by name. Filled once at start-up by
// RegisterBuiltinPlugins (plugins/builtin.h); read-only afterwards, then thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quarry/plugin/destination.h"
#include "quarry/plugin/source.h"

namespace quarry::plugin {

class PluginRegistry {
 public:
  using SourceFactory = std::function<std::unique_ptr<SourcePlugin>()>;
  using DestinationFactory = std::function<std::unique_ptr<DestinationPlugin>()>;

  void AddSource(std::string name, SourceFactory factory);
  void AddDestination(std::string name, DestinationFactory factory);

  // How `registry: grpc` and `registry: local` plugins are made (the rpc layer sets these;
  // without them those registries are an error).
  using RemoteSourceFactory = std::function<std::unique_ptr<SourcePlugin>(std::string_view registry,
                                                                          std::string_view path)>;
  using RemoteDestinationFactory = std::function<std::unique_ptr<DestinationPlugin>(
      std::string_view registry, std::string_view path)>;
  void SetRemoteFactories(RemoteSourceFactory source, RemoteDestinationFactory destination);
  // True for "grpc" and "local".
  static bool IsRemoteRegistry(std::string_view registry);

  // Resolves `path` ("cloudquery/test", "test") under `registry` ("cloudquery" or empty). An
  // unknown plugin or registry is an error that lists what exists.
  Result<std::unique_ptr<SourcePlugin>> MakeSource(std::string_view registry,
                                                   std::string_view path) const;
  Result<std::unique_ptr<DestinationPlugin>> MakeDestination(std::string_view registry,
                                                             std::string_view path) const;
  // The plugin name for a path ("cloudquery/sqlite" -> "sqlite").
  static std::string_view PluginName(std::string_view path);

  std::vector<std::string> source_names() const;
  std::vector<std::string> destination_names() const;

 private:
  std::map<std::string, SourceFactory, std::less<>> sources_;
  std::map<std::string, DestinationFactory, std::less<>> destinations_;
  RemoteSourceFactory remote_source_;
  RemoteDestinationFactory remote_destination_;
};

}  // namespace quarry::plugin
