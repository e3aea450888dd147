// TryLock: an exclusive flock on a lock file beside the database, one file per lock name.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "plugins/destination/sqlite/sqlite_destination_impl.h"

namespace quarry::plugins::sqlite {
namespace {

// An exclusive flock on "<database>.<name>.lock": the kernel releases it when the process
// exits, also on kill -9, so a crashed sync never blocks the next one.
class FileLock final : public plugin::SyncLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override { ::close(fd_); }

 private:
  int fd_;
};

// The lock file of `name`: readable, and unique per name — two names that differ only in
// characters a file name cannot hold (e.g. "../x" and "__x") still get different files.
std::string LockFileName(const std::string& database, std::string_view name) {
  std::string readable;
  for (char c : name.substr(0, 48)) {
    readable += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the exact bytes
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{}.{}-{:016x}.lock", database, readable, h);
}

}  // namespace

Result<std::unique_ptr<plugin::SyncLock>> SqliteDestination::TryLock(std::string_view name) {
  const std::string file = LockFileName(path_, name);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError(
        fmt::format("sqlite {}: lock {}: {}", path_, file, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[64] = {0};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      if (holder == std::to_string(::getpid())) {
        return Status::Invalid(fmt::format(
            "this sync already writes to {} through another destination or the state backend "
            "({} is held by this process): two destinations of one source must not share a "
            "database file",
            path_, file));
      }
      return Status::IOError(fmt::format(
          "another sync of the same source is writing to this destination ({} is held by "
          "process {}); wait for it to finish",
          file, holder));
    }
    return Status::IOError(fmt::format("sqlite {}: lock {}: {}", path_, file, std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message a waiting sync prints; the lock itself holds.
  }
  return std::unique_ptr<plugin::SyncLock>(std::make_unique<FileLock>(fd));
}

}  // namespace quarry::plugins::sqlite
