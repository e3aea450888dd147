#include "quarry/base/status.h"

#include <cstdio>
#include <cstdlib>

namespace quarry {

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return message_;
}

void ResultMisuse(const char* what, const Status& status) {
  std::fprintf(stderr, "quarry: internal error: Result %s: %s\n", what, status.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace quarry
