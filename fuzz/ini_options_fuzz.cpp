// Fuzzes the configuration: ini text read by IniDocument, environment overrides applied, every
// core section validated against its option table and the gateway settings read. Whatever the
// text, the outcome is either values that keep every rule of their table (type, range, required)
// or a StartupError that names the file.
#include <cmath>
#include <optional>
#include <string>

#include "config/gateway_settings.h"
#include "config/option_table.h"
#include "config/startup_error.h"
#include "fuzz_support.h"

namespace {

using visiongw::core::IniDocument;
using visiongw::core::StartupError;
using visiongw::fuzz::FuzzInput;
using visiongw::fuzz::require;

constexpr const char* kPath = "/etc/visiongw/fuzz.ini";

void require_names_the_file(const StartupError& error) {
    require(std::string_view(error.what()).starts_with(kPath), "a StartupError without the file");
}

double bound(const char* text) {
    return std::stod(text);
}

// A validated value keeps its option's rules.
void require_within_rules(const visiongw_option& option,
                          const visiongw::sdk::PluginConfig& config) {
    require(config.has(option.name), "a validated section lacks an option");
    switch (option.type) {
        case VISIONGW_OPTION_INT:
        case VISIONGW_OPTION_DOUBLE: {
            const double value = option.type == VISIONGW_OPTION_INT
                                     ? static_cast<double>(config.get_int(option.name))
                                     : config.get_double(option.name);
            require(!std::isnan(value), "a number option holds NaN");
            require(!option.min || value >= bound(option.min), "a number below its minimum");
            require(!option.max || value <= bound(option.max), "a number above its maximum");
            break;
        }
        case VISIONGW_OPTION_STRING:
            require(!option.required || !config.get_string(option.name).empty(),
                    "a required string is empty");
            break;
        case VISIONGW_OPTION_BOOL:
            static_cast<void>(config.get_bool(option.name));
            break;
    }
}

// "NAME=value" lines, as environment variables.
IniDocument::Environment environment_of(std::string_view lines) {
    IniDocument::Environment environment;
    while (!lines.empty()) {
        const std::size_t end = std::min(lines.find('\n'), lines.size());
        const std::string_view line = lines.substr(0, end);
        lines.remove_prefix(std::min(end + 1, lines.size()));
        const std::size_t equals = line.find('=');
        if (equals != std::string_view::npos)
            environment[std::string(line.substr(0, equals))] = line.substr(equals + 1);
    }
    return environment;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput input(data, size);
    const IniDocument::Environment environment = environment_of(input.take_until('\0'));
    std::optional<IniDocument> document;
    try {
        document = IniDocument::parse(std::string(input.rest()), kPath, environment);
    } catch (const StartupError& e) {
        require_names_the_file(e);
        return 0;
    }
    for (const auto& section : visiongw::core::core_sections()) {
        try {
            const auto config =
                visiongw::core::validate_section(*document, section.name, section.options);
            for (const visiongw_option& option : section.options)
                require_within_rules(option, config);
        } catch (const StartupError& e) {
            require_names_the_file(e);
        }
    }
    try {
        visiongw::core::read_gateway_settings(*document, "/usr/lib/visiongw/bin");
    } catch (const StartupError& e) {
        require_names_the_file(e);
    }
    return 0;
}
