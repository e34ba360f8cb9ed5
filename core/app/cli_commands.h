// The commands of the visiongw command line other than serving; each prints to stdout and
// returns the process's exit status.
#pragma once

#include <Poco/Util/OptionSet.h>

#include <string>

#include "app/loaded_config.h"

namespace visiongw::core {

// --help: the options and the usage.
int print_help(const Poco::Util::OptionSet& options);
// --version: the gateway's version and its plugin SDK ABI.
int print_version();
// --hash-key KEY: the key-file hash of an API key.
int print_key_hash(const std::string& key);
// --list-plugins: every library of the plugin folder, one tab-separated line each.
int list_plugins(const LoadedConfig& config);
// --describe-plugin NAME: a plugin's option table. Throws StartupError for an unknown name.
int describe_plugin(const LoadedConfig& config, const std::string& name);
// --config-reference: every config section and key as Markdown, from the option tables.
int print_config_reference(const LoadedConfig& config);
// --check-config: loads and configures every plugin the ini names. Throws StartupError.
int check_config(const LoadedConfig& config);

}  // namespace visiongw::core
