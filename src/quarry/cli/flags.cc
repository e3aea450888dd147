#include "quarry/cli/flags.h"

#include <CLI/CLI.hpp>

#include "quarry/cli/exit_code.h"

#ifndef QUARRY_VERSION
#define QUARRY_VERSION "dev"
#endif

namespace quarry::cli {

std::optional<int> ParseFlags(int argc, char** argv, Flags* flags) {
  Flags& f = *flags;
  CLI::App app{"Quarry: sync data from sources into destinations (CloudQuery-compatible).",
               "quarry"};
  app.set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  app.add_option("--log-format", f.log_format, "text or json")->capture_default_str();
  app.add_option("--log-file", f.log_file, "also write logs to this file");

  auto* sync = app.add_subcommand("sync", "Sync every source into its destinations.");
  sync->add_option("config", f.paths, "YAML files or directories")->required();
  sync->add_flag("--no-migrate", f.no_migrate, "do not create or alter tables (they must exist)");
  sync->add_option("--summary-location", f.summary_location,
                   "append one JSON summary line per source/destination pair to FILE");
  sync->add_flag("--no-progress", f.no_progress, "no live progress line on a terminal");
  sync->add_flag("--full-refresh", f.full_refresh,
                 "re-fetch incremental tables from the start (then keep their cursors going)");
  sync->add_option("--tables", f.refresh_tables,
                   "with --full-refresh: only incremental tables matching these patterns");
  sync->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* migrate = app.add_subcommand("migrate", "Create or alter destination tables only.");
  migrate->add_option("config", f.paths, "YAML files or directories")->required();
  migrate->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* tables = app.add_subcommand("tables", "Write docs of the tables each source syncs.");
  tables->add_option("config", f.paths, "YAML files or directories")->required();
  tables->add_option("--format", f.format, "json or markdown")
      ->check(CLI::IsMember({"json", "markdown"}))
      ->capture_default_str();
  tables->add_option("--output-dir", f.output_dir, "where to write the docs")
      ->capture_default_str();
  tables->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* state = app.add_subcommand("state", "Show or reset the cursors of incremental tables.");
  state->require_subcommand(1);
  auto* state_show = state->add_subcommand("show", "List the saved cursors per source and table.");
  state_show->add_option("config", f.paths, "YAML files or directories")->required();
  auto* state_reset = state->add_subcommand(
      "reset", "Delete saved cursors: the next sync re-fetches those tables.");
  state_reset->add_option("config", f.paths, "YAML files or directories")->required();
  state_reset->add_option("--table", f.reset_tables, "only tables matching these patterns");
  for (auto* c : {state, state_show, state_reset}) {
    c->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);
  }

  auto* validate = app.add_subcommand("validate-config", "Check configuration files and exit.");
  validate->add_option("config", f.paths, "YAML files or directories")->required();
  validate->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* plugin_cmd =
      app.add_subcommand("plugin", "Serve a built-in plugin over the CloudQuery plugin protocol.");
  plugin_cmd->require_subcommand(1);
  f.serve.version = QUARRY_VERSION;
  auto* serve = plugin_cmd->add_subcommand(
      "serve", "Serve a built-in source or destination (gRPC, CloudQuery plugin protocol v3).");
  serve->add_option("plugin", f.serve.plugin, "built-in plugin: test, sqlite, postgresql")
      ->required();
  serve->add_option("--address", f.serve.address, "host:port (tcp) or socket path (unix)")
      ->capture_default_str();
  serve->add_option("--network", f.serve.network, "tcp or unix")
      ->check(CLI::IsMember({"tcp", "unix"}))
      ->capture_default_str();
  serve
      ->add_option("--kind", f.serve.kind,
                   "serve only this role of a plugin that is both (source or destination)")
      ->check(CLI::IsMember({"source", "destination"}));
  for (auto* c : {plugin_cmd, serve}) {
    c->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (sync->parsed()) {
    f.command = Command::kSync;
  } else if (state_show->parsed()) {
    f.command = Command::kStateShow;
  } else if (state_reset->parsed()) {
    f.command = Command::kStateReset;
  } else if (migrate->parsed()) {
    f.command = Command::kMigrate;
  } else if (tables->parsed()) {
    f.command = Command::kTables;
  } else if (validate->parsed()) {
    f.command = Command::kValidateConfig;
  } else if (serve->parsed()) {
    f.command = Command::kPluginServe;
  } else {
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace quarry::cli
