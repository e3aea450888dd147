// `quarry`: the command line. Parses flags, loads the config, runs the engine, prints the
// CloudQuery-style result line and maps outcomes to exit codes:
//   0 success, 1 a sync failed or a table had errors, 2 invalid configuration or usage.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "plugins/builtin.h"
#include "quarry/base/time.h"
#include "quarry/cli/interrupt.h"
#include "quarry/config/loader.h"
#include "quarry/engine/engine.h"
#include "quarry/rpc/remote.h"
#include "quarry/rpc/server.h"
#include "quarry/schema/docs.h"

#ifndef QUARRY_VERSION
#define QUARRY_VERSION "dev"
#endif

namespace quarry {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct GlobalFlags {
  std::string log_level = "info";
  std::string log_format = "text";
  std::string log_file;
};

std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : std::string(sep)) + x;
  return s;
}

std::string WithThousands(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > (n < 0 ? 1 : 0); i -= 3) {
    s.insert(static_cast<size_t>(i), ",");
  }
  return s;
}

// A live progress line on stderr while a sync runs (only on a terminal).
class ProgressLine {
 public:
  ProgressLine(const engine::Progress& progress, Logger& logger, bool enabled)
      : progress_(progress), logger_(logger), enabled_(enabled) {
    if (!enabled_) return;
    logger_.SetBeforeStderrWrite([this] { Clear(); });
    start_ = NowMicros();
    thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
  }
  ~ProgressLine() { Stop(); }

  void Stop() {
    if (!enabled_) return;
    thread_.request_stop();
    {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    logger_.SetBeforeStderrWrite(nullptr);
    Clear();
    enabled_ = false;
  }

 private:
  void Clear() {
    if (shown_) {
      std::fputs("\r\033[K", stderr);
      shown_ = false;
    }
  }
  void Loop(std::stop_token stop) {
    int64_t last_rows = 0, last_t = start_;
    std::unique_lock lock(mu_);
    while (!stop.stop_requested()) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      if (stop.stop_requested()) break;
      const int64_t now = NowMicros(), rows = progress_.rows();
      const double rate = now > last_t ? (rows - last_rows) * 1e6 / double(now - last_t) : 0;
      last_rows = rows;
      last_t = now;
      const auto tables = progress_.ActiveTables(2'000'000, 3);
      std::string line =
          fmt::format("Syncing: {} rows ({} rows/s), elapsed {}", WithThousands(rows),
                      WithThousands(static_cast<int64_t>(rate)), FormatDuration(now - start_));
      if (!tables.empty()) line += ", tables: " + Join(tables);
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
      shown_ = true;
    }
  }

  const engine::Progress& progress_;
  Logger& logger_;
  bool enabled_;
  bool shown_ = false;
  int64_t start_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::jthread thread_;
};

struct Loaded {
  config::Config config;
  plugin::PluginRegistry registry;
};

int ReportConfigError(const Status& st) {
  std::cerr << "Error: " << st.message() << "\n";
  return st.IsInvalid() || st.code() == StatusCode::kNotFound ? kExitUsage : kExitFailed;
}

// A loaded config, checked against the plugins: what every command starts from.
struct Session {
  config::Config config;
  plugin::PluginRegistry registry;
  std::unique_ptr<engine::Engine> engine;
  engine::Plan plan;
};

// Loads and prepares `paths`; on failure prints the error, sets *code and returns null.
std::unique_ptr<Session> OpenSession(Logger& logger, const std::vector<std::string>& paths,
                                     int* code) {
  auto session = std::make_unique<Session>();
  auto cfg = config::LoadConfig(paths);
  if (!cfg.ok()) {
    *code = ReportConfigError(cfg.status());
    return nullptr;
  }
  session->config = cfg.MoveValue();
  plugins::RegisterBuiltinPlugins(session->registry);
  rpc::RemoteOptions remote;
  remote.log_level = std::string(ToString(logger.level()));
  rpc::RegisterRemotePlugins(session->registry, logger, remote);
  session->engine = std::make_unique<engine::Engine>(session->registry, logger);
  auto plan = session->engine->Prepare(session->config);
  if (!plan.ok()) {
    *code = ReportConfigError(plan.status());
    return nullptr;
  }
  session->plan = plan.MoveValue();
  return session;
}

int RunSync(Logger& logger, const std::vector<std::string>& paths, bool no_migrate,
            const std::string& summary_location, bool no_progress, bool full_refresh,
            const std::vector<std::string>& refresh_tables) {
  std::cout << "Loading spec(s) from " << Join(paths) << std::endl;
  cli::InterruptWatcher interrupt;
  int code = kExitOk;
  auto session = OpenSession(logger, paths, &code);
  if (!session) return interrupt.signal() != 0 ? 128 + interrupt.signal() : code;
  engine::Engine& eng = *session->engine;
  interrupt.OnFirst([&eng] { eng.Stop(); });
  engine::Plan* plan = &session->plan;
  for (const auto& ps : plan->sources) {
    std::vector<std::string> dests;
    for (const auto* d : ps.destinations) dests.push_back(d->name);
    std::cout << "Starting sync for: " << ps.spec->name << " -> [" << Join(dests) << "]"
              << std::endl;
  }
  engine::Progress progress;
  ProgressLine line(progress, logger, !no_progress && isatty(STDERR_FILENO));
  engine::SyncOptions opts;
  opts.migrate = !no_migrate;
  opts.full_refresh = full_refresh;
  opts.refresh_tables = refresh_tables;
  engine::SyncResult result = eng.Sync(*plan, opts, &progress);
  line.Stop();

  if (!summary_location.empty()) {
    std::ofstream out(summary_location, std::ios::app);
    if (!out) {
      logger.Error(fmt::format("cannot write summary to {}", summary_location));
      result.errors++;
    }
    for (const auto& pair : result.pairs) out << engine::SummaryJson(result, pair) << "\n";
  }
  for (const auto& f : result.failures) std::cerr << "Error: " << f << "\n";
  const std::string counts =
      fmt::format("Resources: {}, Errors: {}, Warnings: {}, Time: {}", result.resources,
                  result.errors, result.warnings, FormatDuration(result.duration_us));
  if (result.interrupted) {
    const int sig = interrupt.signal();
    std::cout << "Sync interrupted by " << cli::SignalName(sig) << ". " << counts << std::endl;
    return 128 + sig;
  }
  if (result.ok()) {
    std::cout << "Sync completed successfully. " << counts << std::endl;
    return kExitOk;
  }
  std::cout << "Sync completed with errors, see logs for details. " << counts << std::endl;
  return kExitFailed;
}

int RunMigrate(Logger& logger, const std::vector<std::string>& paths) {
  std::cout << "Loading spec(s) from " << Join(paths) << std::endl;
  int code = kExitOk;
  auto session = OpenSession(logger, paths, &code);
  if (!session) return code;
  engine::Engine& eng = *session->engine;
  engine::Plan* plan = &session->plan;
  const int64_t start = NowMicros();
  Status st = eng.Migrate(*plan);
  if (!st.ok()) {
    std::cerr << "Error: " << st.message() << "\n";
    std::cout << "Migration failed. Time: " << FormatDuration(NowMicros() - start) << std::endl;
    return kExitFailed;
  }
  std::cout << "Migration completed successfully. Time: " << FormatDuration(NowMicros() - start)
            << std::endl;
  return kExitOk;
}

int RunTables(Logger& logger, const std::vector<std::string>& paths, const std::string& format,
              const std::string& output_dir) {
  int code = kExitOk;
  auto session = OpenSession(logger, paths, &code);
  if (!session) return code;
  engine::Plan* plan = &session->plan;
  namespace fs = std::filesystem;
  for (const auto& ps : plan->sources) {
    fs::path dir = output_dir;
    if (plan->sources.size() > 1) dir /= ps.spec->name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      std::cerr << "Error: cannot create " << dir.string() << ": " << ec.message() << "\n";
      return kExitFailed;
    }
    std::map<std::string, std::string> files;
    if (format == "json") {
      files["__tables.json"] = schema::TablesJson(ps.tables);
    } else {
      files = schema::TablesMarkdown(ps.tables);
    }
    for (const auto& [name, text] : files) {
      std::ofstream out(dir / name);
      out << text;
      if (!out) {
        std::cerr << "Error: cannot write " << (dir / name).string() << "\n";
        return kExitFailed;
      }
    }
    std::cout << "Generated " << format << " docs for source " << ps.spec->name << " in "
              << dir.string() << std::endl;
  }
  return kExitOk;
}

int RunState(Logger& logger, const std::vector<std::string>& paths, bool reset,
             const std::vector<std::string>& patterns) {
  int code = kExitOk;
  auto session = OpenSession(logger, paths, &code);
  if (!session) return code;
  engine::Engine& eng = *session->engine;
  engine::Plan* plan = &session->plan;
  bool any_backend = false;
  for (const auto& ps : plan->sources) any_backend = any_backend || ps.backend != nullptr;
  if (!any_backend) {
    std::cerr << "Error: no source has backend_options: there is no state to "
              << (reset ? "reset" : "show") << "\n";
    return kExitUsage;
  }
  auto rows = reset ? eng.ResetState(*plan, patterns) : eng.ShowState(*plan);
  if (!rows.ok()) {
    std::cerr << "Error: " << rows.status().message() << "\n";
    return kExitFailed;
  }
  if (reset) {
    for (const auto& r : *rows) {
      std::cout << fmt::format("deleted cursor {} {} (was {})", r.source, r.key, r.value) << "\n";
    }
    std::cout << fmt::format("Reset {} cursor(s).", rows->size()) << std::endl;
    return kExitOk;
  }
  std::cout << fmt::format("{:<20} {:<32} {}", "SOURCE", "KEY", "CURSOR") << "\n";
  for (const auto& r : *rows) {
    std::cout << fmt::format("{:<20} {:<32} {}", r.source, r.key, r.value) << "\n";
  }
  std::cout << std::flush;
  return kExitOk;
}

int RunValidate(Logger& logger, const std::vector<std::string>& paths) {
  int code = kExitOk;
  auto session = OpenSession(logger, paths, &code);
  if (!session) return code;
  std::cout << fmt::format("Configuration is valid: {} source(s), {} destination(s).",
                           session->config.sources.size(), session->config.destinations.size())
            << std::endl;
  return kExitOk;
}

// `quarry plugin serve`: serves a built-in plugin over the CloudQuery plugin protocol until
// SIGINT or SIGTERM.
int RunServe(Logger& logger, const rpc::ServeOptions& options) {
  plugin::PluginRegistry registry;
  plugins::RegisterBuiltinPlugins(registry);
  // Block the signals before any thread starts, then wait for them on this one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = rpc::PluginServer::Start(registry, options, logger);
  if (!server.ok()) {
    std::cerr << "Error: " << server.status().message() << "\n";
    return server.status().IsInvalid() ? kExitUsage : kExitFailed;
  }
  logger.Info(fmt::format("serving plugin {} on {}", options.plugin, (*server)->target()),
              {{"address", (*server)->target()}});
  std::thread waiter([&] { (*server)->Wait(); });
  int sig = 0;
  sigwait(&signals, &sig);
  logger.Info(fmt::format("signal {}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM"));
  (*server)->Shutdown();
  waiter.join();
  // Every call has ended and each closed its plugin instance. Leave without running gRPC's
  // global teardown, which can hang on a connection whose client was killed.
  std::fflush(nullptr);
  std::_Exit(kExitOk);
}

int Main(int argc, char** argv) {
  CLI::App app{"Quarry: sync data from sources into destinations (CloudQuery-compatible).",
               "quarry"};
  app.set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalFlags g;
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  app.add_option("--log-format", g.log_format, "text or json")->capture_default_str();
  app.add_option("--log-file", g.log_file, "also write logs to this file");

  std::vector<std::string> paths;
  bool no_migrate = false, no_progress = false;
  std::string summary_location, format = "json", output_dir = "cq-docs";

  auto* sync = app.add_subcommand("sync", "Sync every source into its destinations.");
  sync->add_option("config", paths, "YAML files or directories")->required();
  sync->add_flag("--no-migrate", no_migrate, "do not create or alter tables (they must exist)");
  sync->add_option("--summary-location", summary_location,
                   "append one JSON summary line per source/destination pair to FILE");
  sync->add_flag("--no-progress", no_progress, "no live progress line on a terminal");
  bool full_refresh = false;
  std::vector<std::string> refresh_tables;
  sync->add_flag("--full-refresh", full_refresh,
                 "re-fetch incremental tables from the start (then keep their cursors going)");
  sync->add_option("--tables", refresh_tables,
                   "with --full-refresh: only incremental tables matching these patterns");
  sync->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* migrate = app.add_subcommand("migrate", "Create or alter destination tables only.");
  migrate->add_option("config", paths, "YAML files or directories")->required();
  migrate->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* tables = app.add_subcommand("tables", "Write docs of the tables each source syncs.");
  tables->add_option("config", paths, "YAML files or directories")->required();
  tables->add_option("--format", format, "json or markdown")
      ->check(CLI::IsMember({"json", "markdown"}))
      ->capture_default_str();
  tables->add_option("--output-dir", output_dir, "where to write the docs")->capture_default_str();
  tables->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* state = app.add_subcommand("state", "Show or reset the cursors of incremental tables.");
  state->require_subcommand(1);
  std::vector<std::string> reset_tables;
  auto* state_show = state->add_subcommand("show", "List the saved cursors per source and table.");
  state_show->add_option("config", paths, "YAML files or directories")->required();
  auto* state_reset = state->add_subcommand(
      "reset", "Delete saved cursors: the next sync re-fetches those tables.");
  state_reset->add_option("config", paths, "YAML files or directories")->required();
  state_reset->add_option("--table", reset_tables, "only tables matching these patterns");
  for (auto* c : {state, state_show, state_reset}) {
    c->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);
  }

  auto* validate = app.add_subcommand("validate-config", "Check configuration files and exit.");
  validate->add_option("config", paths, "YAML files or directories")->required();
  validate->set_version_flag("--version", std::string("quarry ") + QUARRY_VERSION);

  auto* plugin_cmd =
      app.add_subcommand("plugin", "Serve a built-in plugin over the CloudQuery plugin protocol.");
  plugin_cmd->require_subcommand(1);
  rpc::ServeOptions serve_opts;
  serve_opts.version = QUARRY_VERSION;
  auto* serve = plugin_cmd->add_subcommand(
      "serve", "Serve a built-in source or destination (gRPC, CloudQuery plugin protocol v3).");
  serve->add_option("plugin", serve_opts.plugin, "built-in plugin: test, sqlite, postgresql")
      ->required();
  serve->add_option("--address", serve_opts.address, "host:port (tcp) or socket path (unix)")
      ->capture_default_str();
  serve->add_option("--network", serve_opts.network, "tcp or unix")
      ->check(CLI::IsMember({"tcp", "unix"}))
      ->capture_default_str();
  serve
      ->add_option("--kind", serve_opts.kind,
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

  Logger::Options lo;
  auto level = ParseLogLevel(g.log_level);
  auto fmt_ = ParseLogFormat(g.log_format);
  if (!level.ok() || !fmt_.ok()) {
    std::cerr << "Error: " << (!level.ok() ? level.status() : fmt_.status()).message() << "\n";
    return kExitUsage;
  }
  lo.level = *level;
  lo.format = *fmt_;
  lo.file = g.log_file;
  auto logger = Logger::Open(lo);
  if (!logger.ok()) {
    std::cerr << "Error: " << logger.status().message() << "\n";
    return kExitUsage;
  }

  if (!refresh_tables.empty() && !full_refresh) {
    std::cerr << "Error: --tables needs --full-refresh\n";
    return kExitUsage;
  }
  if (sync->parsed()) {
    return RunSync(**logger, paths, no_migrate, summary_location, no_progress, full_refresh,
                   refresh_tables);
  }
  if (state_show->parsed()) return RunState(**logger, paths, false, {});
  if (state_reset->parsed()) return RunState(**logger, paths, true, reset_tables);
  if (migrate->parsed()) return RunMigrate(**logger, paths);
  if (tables->parsed()) return RunTables(**logger, paths, format, output_dir);
  if (validate->parsed()) return RunValidate(**logger, paths);
  if (serve->parsed()) return RunServe(**logger, serve_opts);
  return kExitUsage;
}

}  // namespace
}  // namespace quarry

int main(int argc, char** argv) { return quarry::Main(argc, argv); }
