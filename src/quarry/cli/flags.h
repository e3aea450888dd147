// The command line of `quarry`: every command, its arguments and flags, and the --help text
// (CLI11). Parsing only: nothing is loaded or run here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quarry/rpc/server.h"

namespace quarry::cli {

enum class Command {
  kSync,
  kMigrate,
  kTables,
  kStateShow,
  kStateReset,
  kValidateConfig,
  kPluginServe,
};

// What the command line asked for. Members not used by `command` keep their defaults.
struct Flags {
  Command command = Command::kSync;

  // Global flags, before the command.
  std::string log_level = "info";
  std::string log_format = "text";
  std::string log_file;

  std::vector<std::string> paths;  // config files or directories, every command but plugin serve

  // sync
  bool no_migrate = false;
  bool no_progress = false;
  std::string summary_location;
  bool full_refresh = false;
  std::vector<std::string> refresh_tables;  // --tables

  // tables
  std::string format = "json";
  std::string output_dir = "cq-docs";

  // state reset
  std::vector<std::string> reset_tables;  // --table

  // plugin serve
  rpc::ServeOptions serve;
};

// Parses `argv` into `*flags`. Returns an exit code when the process should end now: 0 after
// printing --help or --version, kExitUsage after printing a usage error; nullopt otherwise.
std::optional<int> ParseFlags(int argc, char** argv, Flags* flags);

}  // namespace quarry::cli
