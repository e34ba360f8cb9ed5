#include "ops/json_log.h"
#include <charconv>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "visiongw/sdk/errors.h"

namespace visiongw::core {

namespace {

constexpr std::array<std::string_view, 4> kLevelNames = {"debug", "info", "warning", "error"};
constexpr std::array<std::string_view, 3> kReservedKeys = {"time", "level", "message"};
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence at the start of `text`, or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are not).
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        min_second = lead == 0xE0 ? 0xA0 : 0x80;
        max_second = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        min_second = lead == 0xF0 ? 0x90 : 0x80;
        max_second = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < min_second || byte(1) > max_second) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) {
            return 0;
        }
    }
    return length;
}

void append_json_string(std::string& line, std::string_view text) {
    line += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = utf8_sequence_length(text.substr(i));
            line += length == 0 ? kReplacementCharacter : text.substr(i, length);
            i += length == 0 ? 1 : length;
            continue;
        }
        switch (c) {
            case '"':
                line += "\\\"";
                break;
            case '\\':
                line += "\\\\";
                break;
            case '\n':
                line += "\\n";
                break;
            case '\r':
                line += "\\r";
                break;
            case '\t':
                line += "\\t";
                break;
            case '\b':
                line += "\\b";
                break;
            case '\f':
                line += "\\f";
                break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    line += escaped;
                } else {
                    line += static_cast<char>(c);
                }
        }
        ++i;
    }
    line += '"';
}

void append_json_value(std::string& line, const LogField::Value& value) {
    std::visit(
        [&line](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                append_json_string(line, v);
            } else if constexpr (std::is_same_v<T, bool>) {
                line += v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                if (!std::isfinite(v)) {
                    line += "null";
                    return;
                }
                // The shortest text that reads back as the same double.
                char number[32];
                auto end = std::to_chars(number, number + sizeof number, v).ptr;
                line.append(number, end);
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
