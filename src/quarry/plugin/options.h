// What a destination is told about how to write, apart from its own `spec:` options: the
// plugin layer's vocabulary for write, migrate and primary-key modes. The config layer decodes
// these from YAML; the rpc server builds them for a served plugin. Plugins see only this, never
// the YAML model.
//
// Values; thread-safe to read.
#pragma once

#include <string>
#include <string_view>

#include "quarry/base/status.h"

namespace quarry::plugin {

// How rows from earlier syncs are treated (DESIGN.md §1).
enum class WriteMode {
  kOverwriteDeleteStale,  // upsert by primary key; the engine then deletes stale rows
  kOverwrite,             // upsert by primary key; stale rows stay
  kAppend,                // insert every row; primary keys are not enforced
};
// What Migrate may do to an existing table that differs from the one it needs.
enum class MigrateMode {
  kSafe,    // only additive, lossless changes; otherwise refuse and list the changes
  kForced,  // drop and recreate the table
};
// Which columns form the primary key.
enum class PkMode {
  kDefault,   // the table's own primary key
  kCqIdOnly,  // `_cq_id` alone
};

// The names used in configuration files: "overwrite-delete-stale", "overwrite", "append";
// "safe", "forced"; "default", "cq-id-only".
std::string_view ToString(WriteMode m);
std::string_view ToString(MigrateMode m);
std::string_view ToString(PkMode m);
// The inverse of ToString. An unknown name is an InvalidArgument error that lists the known ones:
// `unknown write_mode "x" (use overwrite-delete-stale, overwrite, append)`.
Result<WriteMode> ParseWriteMode(std::string_view s);
Result<MigrateMode> ParseMigrateMode(std::string_view s);
Result<PkMode> ParsePkMode(std::string_view s);

// Passed to DestinationPlugin::Init.
struct DestinationOptions {
  std::string name;  // the destination's name in the configuration, for messages
  WriteMode write_mode = WriteMode::kOverwriteDeleteStale;
  MigrateMode migrate_mode = MigrateMode::kSafe;
  PkMode pk_mode = PkMode::kDefault;
};

}  // namespace quarry::plugin
