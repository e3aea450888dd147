#include "quarry/rpc/remote.h"

namespace quarry::rpc {

void RegisterRemotePlugins(plugin::PluginRegistry& registry, Logger& logger,
                           const RemoteOptions& options) {
  registry.SetRemoteFactories(
      [&logger, options](std::string_view reg, std::string_view path) {
        return NewRemoteSource(reg, path, logger, options);
      },
      [&logger, options](std::string_view reg, std::string_view path) {
        return NewRemoteDestination(reg, path, logger, options);
      });
}

}  // namespace quarry::rpc
