#include "quarry/config/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <new>

#include "quarry/config/build.h"
#include "quarry/config/input.h"

// The pieces, in the order a file goes through them: input.h (limits, UTF-8 text, reading a
// file), substitute.h (${ENV_VAR}, ${file:path}), decode.h (YAML to nodes within the limits,
// nodes to located values), build.h (documents to specs, whole-config checks).

namespace quarry::config {
namespace {

namespace fs = std::filesystem;
using internal::ConfigBuilder;
using internal::ReadFile;

fs::path BaseDir(const fs::path& file) {
  const fs::path parent = file.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// The YAML files a command-line argument stands for.
Result<std::vector<fs::path>> ExpandPath(const std::string& arg) {
  const fs::path path(arg);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    return Status::Invalid(fmt::format("{}: no such file or directory", arg));
  }
  if (!fs::is_directory(status)) return std::vector<fs::path>{path};

  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with('.')) continue;
    if (!name.ends_with(".yml") && !name.ends_with(".yaml")) continue;
    if (it->is_directory(ec)) continue;
    files.push_back(it->path());
  }
  if (ec) return Status::IOError(fmt::format("{}: cannot list: {}", arg, ec.message()));
  if (files.empty()) {
    return Status::Invalid(fmt::format("{}: directory holds no *.yml or *.yaml file", arg));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  return files;
}

// Nothing escapes the loader: yaml-cpp's exceptions are caught where it is called and the limits
// above keep memory bounded, but allocation can still fail, and a bug of ours must not end the
// process through std::terminate.
template <typename Load>
Result<Config> NoThrow(Load&& load) {
  try {
    return load();
  } catch (const std::bad_alloc&) {
    return Status::Invalid("the configuration is too large to load (out of memory)");
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("loading the configuration: {}", e.what()));
  }
}

}  // namespace

Result<Config> LoadConfig(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::Invalid("no configuration file given");
  return NoThrow([&]() -> Result<Config> {
    ConfigBuilder builder;
    for (const std::string& arg : paths) {
      QUARRY_ASSIGN_OR_RETURN(std::vector<fs::path> files, ExpandPath(arg));
      for (const fs::path& file : files) {
        QUARRY_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
        QUARRY_RETURN_NOT_OK(builder.AddFile(text, file.string(), BaseDir(file)));
      }
    }
    return builder.Finish();
  });
}

Result<Config> LoadConfigText(const std::string& text, const std::string& file,
                              const std::string& base_dir) {
  return NoThrow([&]() -> Result<Config> {
    ConfigBuilder builder;
    QUARRY_RETURN_NOT_OK(builder.AddFile(text, file, base_dir.empty() ? "." : base_dir));
    return builder.Finish();
  });
}

}  // namespace quarry::config
