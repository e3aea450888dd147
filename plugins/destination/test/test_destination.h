// The `test` destination: the SQLite destination with fault injection, for tests of what a
// failing destination does to a sync (cursors, exit status, the next run). Options: those of
// `sqlite`, plus `fail_on_write: N` (the Nth write of a run fails, and nothing of it lands).
#pragma once

#include <memory>

#include "quarry/plugin/destination.h"

namespace quarry::plugins {

std::unique_ptr<plugin::DestinationPlugin> NewTestDestination();

}  // namespace quarry::plugins
