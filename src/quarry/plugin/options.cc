#include "quarry/plugin/options.h"

#include <fmt/format.h>

namespace quarry::plugin {

namespace {
// Indexed by the enum values, so one table serves ToString and Parse.
constexpr std::string_view kWriteModes[] = {"overwrite-delete-stale", "overwrite", "append"};
constexpr std::string_view kMigrateModes[] = {"safe", "forced"};
constexpr std::string_view kPkModes[] = {"default", "cq-id-only"};

template <typename E, size_t N>
Result<E> ParseEnum(std::string_view s, const std::string_view (&names)[N], std::string_view what) {
  std::string all;
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
    all += (i ? ", " : "") + std::string(names[i]);
  }
  return Status::Invalid(fmt::format("unknown {} \"{}\" (use {})", what, s, all));
}
}  // namespace

std::string_view ToString(WriteMode m) { return kWriteModes[static_cast<int>(m)]; }
std::string_view ToString(MigrateMode m) { return kMigrateModes[static_cast<int>(m)]; }
std::string_view ToString(PkMode m) { return kPkModes[static_cast<int>(m)]; }
Result<WriteMode> ParseWriteMode(std::string_view s) {
  return ParseEnum<WriteMode>(s, kWriteModes, "write_mode");
}
Result<MigrateMode> ParseMigrateMode(std::string_view s) {
  return ParseEnum<MigrateMode>(s, kMigrateModes, "migrate_mode");
}
Result<PkMode> ParsePkMode(std::string_view s) { return ParseEnum<PkMode>(s, kPkModes, "pk_mode"); }

}  // namespace quarry::plugin
