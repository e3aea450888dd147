// Table-name patterns as CloudQuery uses them: `*` matches any run of characters (also none);
// every other character matches itself. Thread-safe (pure functions).
#pragma once

#include <string_view>

namespace quarry {

bool GlobMatch(std::string_view pattern, std::string_view name);

}  // namespace quarry
