// Option tables (declared as data by plugins and by the core) and their validation.
#pragma once

#include <span>
#include <string>

#include "config/ini_document.h"
#include "visiongw/sdk/abi.h"
#include "visiongw/sdk/options.h"
#include "visiongw/sdk/plugin.h"

namespace visiongw::core {

using sdk::OptionTable;

// Checks `section` of the document against `table` and returns its typed values: each option's
// environment variable (`env`) when it is set, else the file's value, else its default. Throws
// StartupError "FILE: [section] key: reason" for an unknown key (listing the valid ones), a
// value of the wrong type, out of range or not one of its `choices` (listing them), or a
// missing required key.
sdk::PluginConfig validate_section(const IniDocument& document, const std::string& section,
                                   OptionTable table);

// Human-readable description of a table, one option a line (for --describe-plugin).
std::string describe_options(OptionTable table);

// The table as a Markdown table (for the README's configuration reference).
std::string markdown_options(OptionTable table);

}  // namespace visiongw::core
