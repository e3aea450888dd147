#include "quarry/rpc/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

extern char** environ;

namespace quarry::rpc {

Result<std::unique_ptr<PluginProcess>> PluginProcess::Start(const Options& options,
                                                            Logger& logger) {
  std::unique_ptr<PluginProcess> p(new PluginProcess(options, logger));
  char tmpl[] = "/tmp/quarry-plugin-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return Status::IOError(fmt::format("plugin {}: cannot create a socket directory: {}",
                                       options.name, std::strerror(errno)));
  }
  p->dir_ = tmpl;
  const std::string socket = p->dir_ + "/plugin.sock";
  p->target_ = "unix://" + socket;

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return Status::IOError(fmt::format("plugin {}: pipe: {}", options.name, std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Its own process group, so that signals reach whatever the binary starts (a wrapper script's
  // child, a runtime's workers) and nothing keeps our pipes open after Stop().
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<std::string> args{options.path,  "serve",          "--network",    "unix",
                                "--address",   socket,           "--log-format", "json",
                                "--log-level", options.log_level};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc =
      posix_spawnp(&p->pid_, options.path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    p->pid_ = -1;
    return Status::IOError(fmt::format("plugin {}: cannot start {}: {}", options.name, options.path,
                                       std::strerror(rc)));
  }
  PluginProcess* raw = p.get();
  p->out_thread_ =
      std::jthread([raw, fd = out[0]](std::stop_token st) { raw->ReadLines(fd, false, st); });
  p->err_thread_ =
      std::jthread([raw, fd = err[0]](std::stop_token st) { raw->ReadLines(fd, true, st); });
  return p;
}

PluginProcess::~PluginProcess() {
  Stop();
  // The readers end at EOF, or — should a stray process still hold the pipes — once asked to.
  out_thread_.request_stop();
  err_thread_.request_stop();
  if (out_thread_.joinable()) out_thread_.join();
  if (err_thread_.joinable()) err_thread_.join();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void PluginProcess::ReadLines(int fd, bool is_stderr, std::stop_token stop) {
  std::string buf;
  char chunk[4096];
  auto emit = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return;
    {
      std::lock_guard lock(lines_mu_);
      last_lines_.push_back(line);
      if (last_lines_.size() > 20) last_lines_.erase(last_lines_.begin());
    }
    LogFields fields{{"plugin", options_.name}};
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("level")) {
      std::string message = j.value("message", j.value("msg", std::string()));
      for (const auto& [k, v] : j.items()) {
        if (k == "level" || k == "message" || k == "msg" || k == "time" || k == "timestamp") {
          continue;
        }
        fields.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      }
      const std::string level = j["level"].is_string() ? j["level"].get<std::string>() : "info";
      const std::string text = fmt::format("plugin {}: {}", options_.name, message);
      if (level == "error" || level == "fatal" || level == "panic") {
        logger_.Error(text, fields);
        logger_.CountExternalError();
      } else if (level == "warn" || level == "warning") {
        logger_.Warn(text, fields);
      } else if (level == "debug" || level == "trace") {
        logger_.Debug(text, fields);
      } else {
        logger_.Info(text, fields);
      }
      return;
    }
    logger_.Debug(
        fmt::format("plugin {} {}: {}", options_.name, is_stderr ? "stderr" : "stdout", line),
        fields);
  };
  while (true) {
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (stop.stop_requested()) break;
      continue;
    }
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    size_t pos;
    while ((pos = buf.find('\n')) != std::string::npos) {
      emit(buf.substr(0, pos));
      buf.erase(0, pos + 1);
    }
  }
  emit(buf);
  close(fd);
}

bool PluginProcess::exited() {
  std::lock_guard lock(mu_);
  if (reaped_ || pid_ < 0) return true;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

std::string PluginProcess::LastLines() const {
  std::lock_guard lock(lines_mu_);
  std::string s;
  for (const auto& l : last_lines_) s += (s.empty() ? "" : "\n") + l;
  return s;
}

void PluginProcess::Stop() {
  std::lock_guard lock(mu_);
  if (reaped_ || pid_ < 0) return;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    kill(-pid_, SIGKILL);  // anything it left behind in its group
    return;
  }
  kill(-pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + options_.grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      kill(-pid_, SIGKILL);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  logger_.Warn(fmt::format("plugin {}: did not stop within {} ms of SIGINT; killing it",
                           options_.name, options_.grace.count()));
  kill(-pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  reaped_ = true;
}

}  // namespace quarry::rpc
