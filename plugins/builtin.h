// The built-in plugins, registered in one explicit place.
#pragma once

#include "quarry/plugin/registry.h"

namespace quarry::plugins {

// Sources: test. Destinations: sqlite.
void RegisterBuiltinPlugins(plugin::PluginRegistry& registry);

}  // namespace quarry::plugins
