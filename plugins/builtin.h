// The built-in plugins, registered in one explicit place.
#pragma once

#include "quarry/plugin/registry.h"

namespace quarry::plugins {

// Sources: test, sqlite, postgresql. Destinations: sqlite, test (SQLite with fault
// injection), postgresql.
void RegisterBuiltinPlugins(plugin::PluginRegistry& registry);

}  // namespace quarry::plugins
