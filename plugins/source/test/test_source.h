// The `test` source: generated tables for demos, tests and benchmarks (CloudQuery's `test`
// source, plus a `seed` and a wide inventory table). See docs/plugins/test.md.
#pragma once

#include <memory>

#include "quarry/plugin/source.h"

namespace quarry::plugins {

std::unique_ptr<plugin::SourcePlugin> NewTestSource();

}  // namespace quarry::plugins
