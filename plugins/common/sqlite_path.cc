#include "plugins/common/sqlite_path.h"

namespace quarry::plugins {

Result<std::string> SqlitePathFromConnectionString(std::string s) {
  if (!s.starts_with("file:")) return s;
  s.erase(0, 5);
  if (s.starts_with("//")) {
    s.erase(0, 2);
    if (s.starts_with("localhost/")) s.erase(0, 9);
    if (!s.starts_with("/")) {
      return Status::Invalid(
          "spec.connection_string: file: URIs with a host are not supported; give a file path");
    }
  }
  s = s.substr(0, s.find_first_of("?#"));
  if (s.empty()) return Status::Invalid("spec.connection_string: the file: URI has no path");
  return s;
}

}  // namespace quarry::plugins
