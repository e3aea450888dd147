// `quarry`: the command line. Parses the flags (flags.h), opens the logger and runs the command
// (commands.h); the exit codes are in exit_code.h.
#include <iostream>

#include "quarry/base/log.h"
#include "quarry/cli/commands.h"
#include "quarry/cli/exit_code.h"
#include "quarry/cli/flags.h"

namespace quarry::cli {
namespace {

int Main(int argc, char** argv) {
  Flags f;
  if (std::optional<int> code = ParseFlags(argc, argv, &f)) return *code;

  Logger::Options lo;
  auto level = ParseLogLevel(f.log_level);
  auto fmt_ = ParseLogFormat(f.log_format);
  if (!level.ok() || !fmt_.ok()) {
    std::cerr << "Error: " << (!level.ok() ? level.status() : fmt_.status()).message() << "\n";
    return kExitUsage;
  }
  lo.level = *level;
  lo.format = *fmt_;
  lo.file = f.log_file;
  auto logger = Logger::Open(lo);
  if (!logger.ok()) {
    std::cerr << "Error: " << logger.status().message() << "\n";
    return kExitUsage;
  }

  if (!f.refresh_tables.empty() && !f.full_refresh) {
    std::cerr << "Error: --tables needs --full-refresh\n";
    return kExitUsage;
  }
  switch (f.command) {
    case Command::kSync:
      return RunSync(**logger, f.paths, f.no_migrate, f.summary_location, f.no_progress,
                     f.full_refresh, f.refresh_tables);
    case Command::kStateShow:
      return RunState(**logger, f.paths, false, {});
    case Command::kStateReset:
      return RunState(**logger, f.paths, true, f.reset_tables);
    case Command::kMigrate:
      return RunMigrate(**logger, f.paths);
    case Command::kTables:
      return RunTables(**logger, f.paths, f.format, f.output_dir);
    case Command::kValidateConfig:
      return RunValidate(**logger, f.paths);
    case Command::kPluginServe:
      return RunServe(**logger, f.serve);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace quarry::cli

int main(int argc, char** argv) { return quarry::cli::Main(argc, argv); }
