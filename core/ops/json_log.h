// Structured logs: one JSON object a line — `time` (RFC 3339 UTC, milliseconds), `level`,
// `message`, then the caller's fields (`request_id`, `route`, `status`, `duration_ms`, `job_id`,
// `plugin`, …).
//
// A line carries only what its caller passes. Callers never pass API keys, Authorization or
// X-API-Key header values, or prompt text; for that reason there is deliberately no helper that
// logs a whole request, its headers or its form fields.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "visiongw/sdk/plugin.h"

namespace visiongw::core {

// The log level named by the config's text: "debug", "info", "warning" or "error". Throws
// sdk::ConfigError naming the text and the valid words otherwise.
sdk::LogLevel parse_log_level(std::string_view text);

// One extra field of a log line: a string, integer, floating-point (non-finite → null) or boolean
// value. It holds views, so make it in the write() call that uses it.
class LogField {
public:
    using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

    LogField(std::string_view key, std::string_view value) : key_(key), value_(value) {}
    LogField(std::string_view key, const char* value)
        : key_(key), value_(std::string_view(value)) {}
    template <std::integral T>
    requires(!std::same_as<T, bool>) LogField(std::string_view key, T value) : key_(key) {
        if constexpr (std::is_signed_v<T>) {
            value_ = static_cast<std::int64_t>(value);
        } else {
            value_ = static_cast<std::uint64_t>(value);
        }
    }
    LogField(std::string_view key, double value) : key_(key), value_(value) {}
    LogField(std::string_view key, bool value) : key_(key), value_(value) {}

    std::string_view key() const { return key_; }
    const Value& value() const { return value_; }

private:
    std::string_view key_;
    Value value_;
};

// Writes log lines to one stream. Thread-safe: each line is formatted first, then written whole
// with one write under a mutex, so lines never interleave. Strings are JSON-escaped (quotes,
// backslash, control characters) and invalid UTF-8 becomes U+FFFD. A field named `time`, `level`
// or `message` is written as `field_time` etc., so the line's own keys stay unique. The stream
// must outlive the log.
class JsonLog {
public:
    explicit JsonLog(std::ostream& out = std::cout, sdk::LogLevel min_level = sdk::LogLevel::info);

    // Whether a line of this level is written; lets a caller skip building costly fields.
    bool enabled(sdk::LogLevel level) const { return level >= min_level_; }

    void write(sdk::LogLevel level, std::string_view message,
               std::initializer_list<LogField> fields = {});
    void write(sdk::LogLevel level, std::string_view message, std::span<const LogField> fields);

private:
    std::ostream& out_;
    const sdk::LogLevel min_level_;
    std::mutex mutex_;
};

// A plugin's sdk::PluginLog: its lines go to a JsonLog tagged with `"plugin": <name>`.
// Thread-safe; the JsonLog must outlive it.
class PluginJsonLog final : public sdk::PluginLog {
public:
    PluginJsonLog(JsonLog& log, std::string plugin) : log_(log), plugin_(std::move(plugin)) {}
    void write(sdk::LogLevel level, std::string_view message) override;

private:
    JsonLog& log_;
    const std::string plugin_;
};

}  // namespace visiongw::core
