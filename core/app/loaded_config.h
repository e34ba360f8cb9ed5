// The ini file as the gateway runs with it: read, overridden by the environment, and checked.
#pragma once

#include <string>

#include "config/gateway_settings.h"
#include "config/ini_document.h"

namespace visiongw::core {

struct LoadedConfig {
    IniDocument document;
    GatewaySettings settings;
};

// Loads `path`, applies the process environment's overrides and reads the gateway's settings
// (a relative plugin_dir resolved against the executable's folder). Throws StartupError.
LoadedConfig load_config(const std::string& path);

}  // namespace visiongw::core
