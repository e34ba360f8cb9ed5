#include "config/option_table.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "config/startup_error.h"

namespace visiongw::core {
namespace {

const char* type_name(visiongw_option_type type) {
    switch (type) {
        case VISIONGW_OPTION_STRING:
            return "string";
        case VISIONGW_OPTION_INT:
            return "integer";
        case VISIONGW_OPTION_DOUBLE:
            return "number";
        case VISIONGW_OPTION_BOOL:
            return "boolean";
    }
    return "unknown";
}

template <typename Number>
std::optional<Number> parse_number(const std::string& text) {
    Number value{};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end)
        return std::nullopt;
    return value;
}

std::optional<bool> parse_bool(const std::string& text) {
    if (text == "true" || text == "yes" || text == "on" || text == "1")
        return true;
    if (text == "false" || text == "no" || text == "off" || text == "0")
        return false;
    return std::nullopt;
}

// Converts one raw value by its option's type and range; returns the reason it is not valid.
std::variant<sdk::OptionValue, std::string> convert(const visiongw_option& option,
                                                    const std::string& raw) {
    auto in_range = [&](double value) -> std::optional<std::string> {
        if (option.min && value < *parse_number<double>(option.min)) {
            return std::string("must be at least ") + option.min + ", got " + raw;
        }
        if (option.max && value > *parse_number<double>(option.max)) {
            return std::string("must be at most ") + option.max + ", got " + raw;
        }
        return std::nullopt;
    };
    switch (option.type) {
        case VISIONGW_OPTION_STRING:
            if (option.required && raw.empty())
                return std::string("must not be empty");
            return sdk::OptionValue{raw};
        case VISIONGW_OPTION_INT: {
            auto value = parse_number<std::int64_t>(raw);
            if (!value)
                return "must be an integer, got '" + raw + "'";
            if (auto why = in_range(static_cast<double>(*value)))
                return *why;
            return sdk::OptionValue{*value};
        }
        case VISIONGW_OPTION_DOUBLE: {
            auto value = parse_number<double>(raw);
            if (!value || !std::isfinite(*value))
                return "must be a number, got '" + raw + "'";
            if (auto why = in_range(*value))
                return *why;
            return sdk::OptionValue{*value};
        }
        case VISIONGW_OPTION_BOOL: {
            auto value = parse_bool(raw);
            if (!value)
                return "must be true or false, got '" + raw + "'";
            return sdk::OptionValue{*value};
        }
    }
    return std::string("has an unknown option type");
}

}  // namespace

sdk::PluginConfig validate_section(const IniDocument& document, const std::string& section,
                                   OptionTable table) {
    auto fail = [&](const std::string& key, const std::string& why) -> StartupError {
        return StartupError(document.path() + ": [" + section + "] " + key + ": " + why);
    };
    const IniDocument::Section& given = document.section(section);
    for (const auto& [key, value] : given) {
        bool known = false;
        for (const auto& option : table)
            known = known || key == option.name;
        if (!known) {
            std::string valid;
            for (const auto& option : table)
                valid += (valid.empty() ? "" : ", ") + std::string(option.name);
            throw fail(key, "unknown key; valid keys are: " + valid);
        }
    }
    std::map<std::string, sdk::OptionValue> values;
    for (const auto& option : table) {
        std::string raw;
        if (auto value = document.value(section, option.name, option.env)) {
            raw = *value;
        } else if (option.required) {
            throw fail(option.name, std::string("required ") + type_name(option.type) +
                                        " is missing (" + option.description + ")");
        } else if (option.default_value) {
            raw = option.default_value;
        } else {
            continue;
        }
        if (!sdk::is_choice(option, raw))
            throw fail(option.name, "must be " + sdk::choice_list(option) + ", got '" + raw + "'");
        auto converted = convert(option, raw);
        if (auto* why = std::get_if<std::string>(&converted))
            throw fail(option.name, *why);
        values.emplace(option.name, std::get<sdk::OptionValue>(converted));
    }
    return sdk::PluginConfig(section, std::move(values));
}

std::string describe_options(OptionTable table) {
    std::ostringstream out;
    for (const auto& option : table) {
        out << "  " << option.name << " (" << type_name(option.type);
        if (option.required)
            out << ", required";
        if (option.default_value)
            out << ", default " << option.default_value;
        if (option.min)
            out << ", min " << option.min;
        if (option.max)
            out << ", max " << option.max;
        if (option.choices)
            out << ", one of " << sdk::choice_list(option);
        if (option.env)
            out << ", env " << option.env;
        out << ")\n      " << option.description << "\n";
    }
    return out.str();
}

std::string markdown_options(OptionTable table) {
    std::ostringstream out;
    out << "| key | type | default | values | env | meaning |\n|---|---|---|---|---|---|\n";
    for (const auto& option : table) {
        out << "| `" << option.name << "` | " << type_name(option.type) << " | ";
        if (option.required) {
            out << "required";
        } else if (option.default_value && *option.default_value) {
            out << '`' << option.default_value << '`';
        }
        out << " | ";
        if (option.choices) {
            out << sdk::choice_list(option);
        } else if (option.min || option.max) {
            out << (option.min ? option.min : "") << "…" << (option.max ? option.max : "");
        }
        out << " | ";
        if (option.env)
            out << '`' << option.env << '`';
        out << " | " << option.description << " |\n";
    }
    return out.str();
}

}  // namespace visiongw::core
