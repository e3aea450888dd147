#include "quarry/rpc/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

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
  int report[2];  // the child writes errno here when exec fails; closes on exec otherwise
  if (pipe2(report, O_CLOEXEC) != 0) {
    return Status::IOError(fmt::format("plugin {}: pipe: {}", options.name, std::strerror(errno)));
  }
  std::vector<std::string> args{options.path,  "serve",          "--network",    "unix",
                                "--address",   socket,           "--log-format", "json",
                                "--log-level", options.log_level};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  // fork rather than posix_spawn: the child must ask for a signal when Quarry dies (a kill -9
  // of Quarry must not leave plugins running). Between fork and exec the child makes only
  // async-signal-safe calls.
  const pid_t pid = fork();
  if (pid < 0) {
    return Status::IOError(fmt::format("plugin {}: fork: {}", options.name, std::strerror(errno)));
  }
  if (pid == 0) {
    // Its own process group, so that Stop() reaches whatever the binary starts (a wrapper's
    // child, a runtime's workers) and nothing keeps our pipes open afterwards.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // Quarry died before the prctl
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execvp(argv[0], argv.data());
    const int e = errno;
    ssize_t ignored = write(report[1], &e, sizeof(e));
    (void)ignored;
    _exit(127);
  }
  p->pid_ = pid;
  close(out[1]);
  close(err[1]);
  close(report[1]);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n > 0) {
    close(out[0]);
    close(err[0]);
    waitpid(pid, nullptr, 0);
    p->pid_ = -1;
    return Status::IOError(fmt::format("plugin {}: cannot start {}: {}", options.name, options.path,
                                       std::strerror(exec_errno)));
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
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    wait_status_ = status;
  }
  return reaped_;
}

std::string PluginProcess::ExitDescription(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!exited()) {
    if (std::chrono::steady_clock::now() >= deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu_);
  if (WIFSIGNALED(wait_status_)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(wait_status_),
                       strsignal(WTERMSIG(wait_status_)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(wait_status_));
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
    wait_status_ = status;
    kill(-pid_, SIGKILL);  // anything it left behind in its group
    return;
  }
  kill(-pid_, SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + options_.grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      wait_status_ = status;
      kill(-pid_, SIGKILL);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  logger_.Warn(fmt::format("plugin {}: did not stop within {} ms of SIGINT; killing it",
                           options_.name, options_.grace.count()));
  kill(-pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  wait_status_ = status;
  reaped_ = true;
}

}  // namespace quarry::rpc
