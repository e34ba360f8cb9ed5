#include "app/gateway_app.h"

#include <iostream>

#include "app/cli_commands.h"
#include "app/gateway_server.h"
#include "app/loaded_config.h"
#include "config/startup_error.h"

namespace visiongw::core {

void GatewayApp::defineOptions(Poco::Util::OptionSet& options) {
    using Poco::Util::Option;
    options.addOption(Option("help", "h", "show this help and exit"));
    options.addOption(Option("version", "v", "print the version and exit"));
    options.addOption(
        Option("config", "c", "the ini file (default etc/visiongw.ini)").argument("PATH"));
    options.addOption(Option("check-config", "", "validate the config, load every plugin, exit"));
    options.addOption(Option("list-plugins", "", "list the plugins of the plugin folder"));
    options.addOption(
        Option("describe-plugin", "", "print a plugin's option table").argument("NAME"));
    options.addOption(
        Option("hash-key", "", "print the key-file hash of an API key and exit").argument("KEY"));
    options.addOption(Option("config-reference", "",
                             "print every config section and key as Markdown, from the option "
                             "tables"));
}

void GatewayApp::handleOption(const std::string& name, const std::string& value) {
    if (name == "help")
        command_ = Command::help;
    if (name == "version")
        command_ = Command::version;
    if (name == "config")
        config_path_ = value;
    if (name == "check-config")
        command_ = Command::check_config;
    if (name == "list-plugins")
        command_ = Command::list_plugins;
    if (name == "config-reference")
        command_ = Command::config_reference;
    if (name == "describe-plugin") {
        command_ = Command::describe_plugin;
        plugin_name_ = value;
    }
    if (name == "hash-key") {
        command_ = Command::hash_key;
        plugin_name_ = value;
    }
    if (name == "help" || name == "version")
        stopOptionsProcessing();
}

int GatewayApp::main(const std::vector<std::string>& args) {
    if (command_ == Command::help)
        return print_help(options());
    if (command_ == Command::version)
        return print_version();
    if (command_ == Command::hash_key)
        return print_key_hash(plugin_name_);
    if (command_ == Command::check_config && args.size() == 1) {
        // `visiongw --check-config PATH` names the ini to check without --config.
        config_path_ = args.front();
    } else if (!args.empty()) {
        std::cerr << "visiongw: unexpected argument '" << args.front() << "'; see --help\n";
        return EXIT_USAGE;
    }
    try {
        LoadedConfig config = load_config(config_path_);
        switch (command_) {
            case Command::list_plugins:
                return list_plugins(config);
            case Command::describe_plugin:
                return describe_plugin(config, plugin_name_);
            case Command::config_reference:
                return print_config_reference(config);
            case Command::check_config:
                return check_config(config);
            default:
                break;
        }
    } catch (const StartupError& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return EXIT_CONFIG;
    } catch (const std::exception& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return EXIT_CONFIG;
    }
    return serve_gateway(config_path_, [this] { waitForTerminationRequest(); });
}

}  // namespace visiongw::core
