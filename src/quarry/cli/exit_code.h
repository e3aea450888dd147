// The exit codes of `quarry`: 0 success, 1 a sync failed or a table had errors, 2 invalid
// configuration or usage. A run ended by a signal exits 128 + the signal number.
#pragma once

namespace quarry::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

}  // namespace quarry::cli
