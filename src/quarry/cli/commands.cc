#include "quarry/cli/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "plugins/builtin.h"
#include "quarry/base/time.h"
#include "quarry/cli/exit_code.h"
#include "quarry/cli/interrupt.h"
#include "quarry/cli/progress.h"
#include "quarry/config/loader.h"
#include "quarry/engine/engine.h"
#include "quarry/rpc/remote.h"
#include "quarry/schema/docs.h"

namespace quarry::cli {
namespace {

std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : std::string(sep)) + x;
  return s;
}

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

}  // namespace

int RunSync(Logger& logger, const std::vector<std::string>& paths, bool no_migrate,
            const std::string& summary_location, bool no_progress, bool full_refresh,
            const std::vector<std::string>& refresh_tables) {
  std::cout << "Loading spec(s) from " << Join(paths) << std::endl;
  InterruptWatcher interrupt;
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
    std::cout << "Sync interrupted by " << SignalName(sig) << ". " << counts << std::endl;
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

}  // namespace quarry::cli
