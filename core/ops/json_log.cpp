#include "ops/json_log.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "ops/json_text.h"
#include "visiongw/sdk/errors.h"

namespace visiongw::core {

namespace {

constexpr std::array<std::string_view, 4> kLevelNames = {"debug", "info", "warning", "error"};
constexpr std::array<std::string_view, 3> kReservedKeys = {"time", "level", "message"};
void append_json_value(std::string& line, const LogField::Value& value) {
    std::visit(
        [&line](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                append_json_string(line, v);
            } else if constexpr (std::is_same_v<T, bool>) {
                line += v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                append_json_number(line, v);
            } else {
                line += std::to_string(v);
            }
        },
        value);
}

// RFC 3339 in UTC with milliseconds, e.g. 2026-11-28T17:00:00.123Z.
std::string utc_timestamp(std::chrono::system_clock::time_point now) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + length, sizeof text - length, ".%03dZ", static_cast<int>(millis % 1000));
    return text;
}

bool is_reserved_key(std::string_view key) {
    return std::ranges::find(kReservedKeys, key) != kReservedKeys.end();
}

}  // namespace

sdk::LogLevel parse_log_level(std::string_view text) {
    for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
        if (text == kLevelNames[i]) {
            return static_cast<sdk::LogLevel>(i);
        }
    }
    throw sdk::ConfigError("log level \"" + std::string(text) +
                           "\" is not one of debug, info, warning, error");
}

JsonLog::JsonLog(std::ostream& out, sdk::LogLevel min_level) : out_(out), min_level_(min_level) {}

void JsonLog::write(sdk::LogLevel level, std::string_view message,
                    std::initializer_list<LogField> fields) {
    write(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void JsonLog::write(sdk::LogLevel level, std::string_view message,
                    std::span<const LogField> fields) {
    if (!enabled(level)) {
        return;
    }
    std::string line =
        "{\"time\":\"" + utc_timestamp(std::chrono::system_clock::now()) + "\",\"level\":\"" +
        std::string(kLevelNames.at(static_cast<std::size_t>(level))) + "\",\"message\":";
    append_json_string(line, message);
    for (const LogField& field : fields) {
        line += ',';
        append_json_string(line, is_reserved_key(field.key()) ? "field_" + std::string(field.key())
                                                              : std::string(field.key()));
        line += ':';
        append_json_value(line, field.value());
    }
    line += "}\n";
    std::lock_guard lock(mutex_);
    out_.write(line.data(), static_cast<std::streamsize>(line.size()));
    out_.flush();
}

void PluginJsonLog::write(sdk::LogLevel level, std::string_view message) {
    log_.write(level, message, {{"plugin", plugin_}});
}

}  // namespace visiongw::core
