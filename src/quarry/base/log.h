// Logger: leveled log lines as text or JSON, to stderr and/or a file.
//
// One Logger is made by the CLI and handed down by reference; plugins log through it.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quarry/base/status.h"

namespace quarry {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

Result<LogLevel> ParseLogLevel(std::string_view s);
std::string_view ToString(LogLevel level);
Result<LogFormat> ParseLogFormat(std::string_view s);

using LogFields = std::vector<std::pair<std::string, std::string>>;

class Logger {
 public:
  struct Options {
    LogLevel level = LogLevel::kInfo;
    LogFormat format = LogFormat::kText;
    bool to_stderr = true;
    std::string file;  // empty: no file
  };
  // A logger that writes nothing (for tests and library use).
  Logger();
  static Result<std::unique_ptr<Logger>> Open(const Options& options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void Log(LogLevel level, std::string_view message, const LogFields& fields = {});
  void Info(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kInfo, m, f); }
  void Warn(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kWarn, m, f); }
  void Error(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kError, m, f); }
  void Debug(std::string_view m, const LogFields& f = {}) { Log(LogLevel::kDebug, m, f); }

  // Called (under the logger's lock) before a line goes to stderr, so a live progress line can
  // clear itself first.
  void SetBeforeStderrWrite(std::function<void()> hook);

  LogLevel level() const { return options_.level; }
  int64_t warnings() const { return warnings_.load(); }
  int64_t errors() const { return errors_.load(); }
  // Errors reported by something Quarry runs (a plugin process's error-level log lines): they
  // count in a run's Errors total.
  void CountExternalError() { external_errors_++; }
  int64_t external_errors() const { return external_errors_.load(); }

 private:
  explicit Logger(Options options, std::FILE* file);
  Options options_;
  std::FILE* file_ = nullptr;
  std::mutex mu_;
  std::function<void()> before_stderr_;
  std::atomic<int64_t> warnings_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<int64_t> external_errors_{0};
};

}  // namespace quarry
