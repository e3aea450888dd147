// The `quarry` commands. Each prints what the user asked for (and "Error: ..." lines on stderr)
// and returns the process exit code (exit_code.h). `paths` are the config files or directories
// given on the command line. Each is called once, from main's thread.
#pragma once

#include <string>
#include <vector>

#include "quarry/base/log.h"
#include "quarry/rpc/server.h"

namespace quarry::cli {

// `quarry sync`: runs every source into its destinations, with a progress line on a terminal
// (unless `no_progress`), the JSON summary lines appended to `summary_location` when given, and
// the CloudQuery-style result line. SIGINT/SIGTERM stop the sync cleanly (exit 128 + signal).
int RunSync(Logger& logger, const std::vector<std::string>& paths, bool no_migrate,
            const std::string& summary_location, bool no_progress, bool full_refresh,
            const std::vector<std::string>& refresh_tables);

// `quarry migrate`: creates or alters the destination tables only.
int RunMigrate(Logger& logger, const std::vector<std::string>& paths);

// `quarry tables`: writes the docs of each source's tables (`format` json or markdown) under
// `output_dir` (one folder per source when there are several).
int RunTables(Logger& logger, const std::vector<std::string>& paths, const std::string& format,
              const std::string& output_dir);

// `quarry state show` (reset false) and `quarry state reset` (reset true; only the tables
// matching `patterns`, all when empty).
int RunState(Logger& logger, const std::vector<std::string>& paths, bool reset,
             const std::vector<std::string>& patterns);

// `quarry validate-config`: loads and checks the config against the plugins.
int RunValidate(Logger& logger, const std::vector<std::string>& paths);

// `quarry plugin serve`: serves a built-in plugin over the CloudQuery plugin protocol until
// SIGINT or SIGTERM. On a clean shutdown it ends the process itself (std::_Exit, skipping gRPC's
// global teardown); it returns only on an error starting the server.
int RunServe(Logger& logger, const rpc::ServeOptions& options);

}  // namespace quarry::cli
