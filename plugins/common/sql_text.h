// SQL text shared by the SQL plugins (SQLite and PostgreSQL, sources and destinations): quoted
// identifiers and literals in the standard way, and joined lists. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace quarry::plugins::sql {

// "name" with every " doubled: any identifier round-trips (capitals, spaces, quotes).
std::string Quote(std::string_view identifier);
// 'text' with every ' doubled (standard_conforming_strings).
std::string Literal(std::string_view value);
// "a", "b", … each prefixed with `prefix` (e.g. "excluded.").
std::string QuoteList(const std::vector<std::string>& identifiers, std::string_view prefix = "");
std::string Join(const std::vector<std::string>& parts, std::string_view separator = ", ");

}  // namespace quarry::plugins::sql
