// The path of an SQLite file from a `connection_string`, shared by the sqlite source and
// destination: a plain path, or a `file:` URI ("file:/a/b.db", "file:///a/b.db",
// "file://localhost/a/b.db", "file:b.db?mode=ro"; query parameters are dropped, the plugins set
// their own modes). Pure function; thread-safe.
#pragma once

#include <string>

#include "quarry/base/status.h"

namespace quarry::plugins {

Result<std::string> SqlitePathFromConnectionString(std::string connection_string);

}  // namespace quarry::plugins
