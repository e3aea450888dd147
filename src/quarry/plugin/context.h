// PluginContext: what the host hands every plugin's Init, whoever the host is (the engine, or the
// rpc server serving a built-in plugin).
#pragma once

#include "quarry/base/log.h"

namespace quarry::plugin {

struct PluginContext {
  Logger* logger = nullptr;  // never null when passed by the engine
};

}  // namespace quarry::plugin
