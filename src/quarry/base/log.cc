#include "quarry/base/log.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "quarry/base/time.h"

namespace quarry {
namespace {
constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error"};
}

Result<LogLevel> ParseLogLevel(std::string_view s) {
  for (size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (s == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  if (s == "warning") return LogLevel::kWarn;
  return Status::Invalid(
      fmt::format("unknown log level \"{}\" (use trace, debug, info, warn or error)", s));
}

std::string_view ToString(LogLevel level) { return kLevelNames[static_cast<int>(level)]; }

Result<LogFormat> ParseLogFormat(std::string_view s) {
  if (s == "text") return LogFormat::kText;
  if (s == "json") return LogFormat::kJson;
  return Status::Invalid(fmt::format("unknown log format \"{}\" (use text or json)", s));
}

Logger::Logger() {
  options_.to_stderr = false;
  options_.level = LogLevel::kError;
}

Logger::Logger(Options options, std::FILE* file) : options_(std::move(options)), file_(file) {}

Result<std::unique_ptr<Logger>> Logger::Open(const Options& options) {
  std::FILE* f = nullptr;
  if (!options.file.empty()) {
    f = std::fopen(options.file.c_str(), "a");
    if (f == nullptr) {
      return Status::IOError(fmt::format("log file {}: {}", options.file, std::strerror(errno)));
    }
  }
  return std::unique_ptr<Logger>(new Logger(options, f));
}

Logger::~Logger() {
  if (file_ != nullptr) std::fclose(file_);
}

void Logger::SetBeforeStderrWrite(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  before_stderr_ = std::move(hook);
}

void Logger::Log(LogLevel level, std::string_view message, const LogFields& fields) {
  if (level == LogLevel::kWarn) warnings_++;
  if (level == LogLevel::kError) errors_++;
  if (level < options_.level) return;
  if (!options_.to_stderr && file_ == nullptr) return;
  const std::string ts = FormatRfc3339(NowMicros());
  std::string line;
  if (options_.format == LogFormat::kJson) {
    nlohmann::json j;
    j["time"] = ts;
    j["level"] = ToString(level);
    j["message"] = message;
    for (const auto& [k, v] : fields) j[k] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {:<5} {}", ts, ToString(level), message);
    for (const auto& [k, v] : fields) {
      line += fmt::format(" {}={}", k, v.find(' ') == std::string::npos ? v : "\"" + v + "\"");
    }
  }
  line += '\n';
  std::lock_guard lock(mu_);
  if (options_.to_stderr) {
    if (before_stderr_) before_stderr_();
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  if (file_ != nullptr) {
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }
}

}  // namespace quarry
