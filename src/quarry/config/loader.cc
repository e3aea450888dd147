#include "quarry/config/loader.h"

namespace quarry::config {
Result<Config> LoadConfig(const std::vector<std::string>&) { return Status::Internal("todo"); }
Result<Config> LoadConfigText(const std::string&, const std::string&, const std::string&) {
  return Status::Internal("todo");
}
}  // namespace quarry::config
