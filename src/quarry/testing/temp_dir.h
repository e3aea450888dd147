// TempDir: a fresh, empty directory under the system's temporary directory, removed with
// everything in it when the object goes away. Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace quarry::testing {

class TempDir {
 public:
  TempDir();  // fails the current test (ADD_FAILURE) if it cannot create one
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The full path of `name` inside the directory (which need not exist).
  std::string Path(std::string_view name) const;
  // Writes `text` to `name` inside the directory (creating its parent directories) and returns
  // its full path.
  std::string Write(std::string_view name, std::string_view text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace quarry::testing
