#include "app/cli_commands.h"

#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>

#include <iostream>

#include "app/plugin_set.h"
#include "ops/api_keys.h"
#include "ops/json_log.h"
#include "plugin_host/plugin_host.h"

namespace visiongw::core {
namespace {

constexpr int kExitOk = Poco::Util::Application::EXIT_OK;

}  // namespace

int print_help(const Poco::Util::OptionSet& options) {
    Poco::Util::HelpFormatter help(options);
    help.setCommand("visiongw");
    help.setUsage(
        "[--config PATH] [--check-config [PATH] | --list-plugins | --describe-plugin NAME]");
    help.setHeader("Vision Gateway: an API gateway for image-analysis jobs.");
    help.format(std::cout);
    return kExitOk;
}

int print_version() {
    std::cout << "visiongw " << VISIONGW_VERSION << " (plugin SDK ABI " << VISIONGW_SDK_ABI_VERSION
              << ")\n";
    return kExitOk;
}

int print_key_hash(const std::string& key) {
    std::cout << hash_api_key(key) << "\n";
    return kExitOk;
}

int list_plugins(const LoadedConfig& config) {
    PluginHost host = PluginHost::scan(config.settings.plugin_dir);
    for (const auto& library : host.libraries()) {
        std::cout << library.name << "\t" << library.kind << "\t" << library.version << "\t"
                  << library.path << "\n";
    }
    return kExitOk;
}

int describe_plugin(const LoadedConfig& config, const std::string& name) {
    PluginHost host = PluginHost::open(config.settings.plugin_dir, {name});
    const PluginLibrary& library = host.find(name);
    std::cout << library.name << " " << library.version << " (" << library.kind << " plugin, "
              << library.path << ")\noptions of [" << library.name << "]:\n"
              << describe_options(library.options);
    return kExitOk;
}

int print_config_reference(const LoadedConfig& config) {
    PluginHost host = PluginHost::scan(config.settings.plugin_dir);
    for (const auto& section : core_sections()) {
        std::cout << "#### `[" << section.name << "]` — " << section.description << "\n\n"
                  << markdown_options(section.options) << "\n";
    }
    for (const auto& library : host.libraries()) {
        std::cout << "#### `[" << library.name << "]` — " << library.kind << " plugin\n\n"
                  << markdown_options(library.options) << "\n";
    }
    return kExitOk;
}

int check_config(const LoadedConfig& config) {
    JsonLog log(std::cerr, parse_log_level(config.settings.log_level));
    PluginHost host =
        PluginHost::open(config.settings.plugin_dir, configured_plugins(config.settings));
    PluginSet plugins(host, config.document, config.settings, log);
    std::cout << config.document.path() << ": configuration OK (" << plugins.all().size()
              << " plugins loaded)\n";
    return kExitOk;
}

}  // namespace visiongw::core
