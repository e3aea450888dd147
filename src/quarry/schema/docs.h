// Table documentation for `quarry tables`: CloudQuery's JSON shape and Markdown pages.
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "quarry/schema/table.h"

namespace quarry::schema {

// The `__tables.json` document: an array of tables with name, title, description, columns
// (name, type, is_primary_key, is_incremental_key, is_primary_key_component, not_null, unique,
// description), relations (nested tables), is_incremental and incremental_keys.
std::string TablesJson(const std::vector<schema::TablePtr>& tree);

// Markdown pages by file name: "README.md" (the list of tables) and "<table>.md" per table
// ("/" and "%" in a table name written %2F and %25). Names are escaped where Markdown would read
// them as markup, and links are percent-encoded: any table or column name shows as it is.
std::map<std::string, std::string> TablesMarkdown(const std::vector<schema::TablePtr>& tree);

}  // namespace quarry::schema
