// VISIONGW_PLUGIN: the one line a plugin library writes to export its handshake and factory.
#pragma once

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>
#include <memory>

#include "visiongw/sdk/abi.h"
#include "visiongw/sdk/plugin.h"

namespace visiongw::sdk {
// The factory every library exports under VISIONGW_FACTORY_SYMBOL.
using PluginFactory = std::unique_ptr<Plugin>();
}  // namespace visiongw::sdk

// NAME: plugin name (also its ini section); KIND: one of the k*Kind constants; VERSION: the
// plugin's own version text; OPTIONS: a `visiongw_option` array; CLASS: the Plugin subclass.
#define VISIONGW_PLUGIN(NAME, KIND, VERSION, OPTIONS, CLASS)                                 \
    namespace visiongw_plugin_entry {                                                        \
    std::unique_ptr<::visiongw::sdk::Plugin> create_plugin() {                               \
        return std::make_unique<CLASS>();                                                    \
    }                                                                                        \
    }                                                                                        \
    BOOST_DLL_ALIAS(visiongw_plugin_entry::create_plugin, visiongw_create_plugin)            \
    extern "C" BOOST_SYMBOL_EXPORT const visiongw_plugin_info* visiongw_plugin_handshake() { \
        static const visiongw_plugin_info info{VISIONGW_SDK_ABI_VERSION,                     \
                                               VISIONGW_BUILD_SIGNATURE,                     \
                                               NAME,                                         \
                                               KIND,                                         \
                                               VERSION,                                      \
                                               OPTIONS,                                      \
                                               sizeof(OPTIONS) / sizeof((OPTIONS)[0])};      \
        return &info;                                                                        \
    }
