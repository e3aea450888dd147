#include "plugins/builtin.h"

#include "plugins/destination/postgresql/postgresql_destination.h"
#include "plugins/destination/sqlite/sqlite_destination.h"
#include "plugins/destination/test/test_destination.h"
#include "plugins/source/postgresql/postgresql_source.h"
#include "plugins/source/sqlite/sqlite_source.h"
#include "plugins/source/test/test_source.h"

namespace quarry::plugins {

void RegisterBuiltinPlugins(plugin::PluginRegistry& registry) {
  registry.AddSource("test", NewTestSource);
  registry.AddSource("sqlite", NewSqliteSource);
  registry.AddSource("postgresql", NewPostgresqlSource);
  registry.AddDestination("sqlite", NewSqliteDestination);
  registry.AddDestination("test", NewTestDestination);
  registry.AddDestination("postgresql", NewPostgresqlDestination);
}

}  // namespace quarry::plugins
