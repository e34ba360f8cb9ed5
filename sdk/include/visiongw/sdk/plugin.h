// The base of every plugin kind: typed configuration, host services, explicit lifecycle.
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "visiongw/sdk/abi.h"
#include "visiongw/sdk/errors.h"

namespace visiongw::sdk {

using OptionValue = std::variant<std::string, std::int64_t, double, bool>;

// A plugin's section of the ini, already checked against its option table by the core: every
// declared option is present (given or defaulted) with its declared type, so the getters only
// throw ConfigError for a name the table does not declare or a type it does not have.
class PluginConfig {
public:
    PluginConfig(std::string section, std::map<std::string, OptionValue> values)
        : section_(std::move(section)), values_(std::move(values)) {}

    const std::string& section() const { return section_; }
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    const std::string& get_string(const std::string& name) const { return get<std::string>(name); }
    std::int64_t get_int(const std::string& name) const { return get<std::int64_t>(name); }
    double get_double(const std::string& name) const { return get<double>(name); }
    bool get_bool(const std::string& name) const { return get<bool>(name); }

private:
    template <typename T>
    const T& get(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end())
            throw ConfigError("[" + section_ + "] " + name + " is not set");
        if (const T* value = std::get_if<T>(&it->second))
            return *value;
        throw ConfigError("[" + section_ + "] " + name + " read with the wrong type");
    }

    std::string section_;
    std::map<std::string, OptionValue> values_;
};

enum class LogLevel { debug, info, warning, error };

// Where plugins write their log lines; the core turns them into structured JSON lines.
// Thread-safe.
class BOOST_SYMBOL_VISIBLE PluginLog {
public:
    virtual ~PluginLog() = default;
    virtual void write(LogLevel level, std::string_view message) = 0;
};

// What the host lends a plugin for its whole life: it outlives the plugin object.
struct PluginContext {
    PluginLog& log;
};

// The answer of a health check: whether the dependency answers, and what it said.
struct Health {
    bool ok = false;
    std::string detail;
};

// One number a plugin exposes on /health/metrics, e.g. broker reconnects. `name` follows
// Prometheus conventions (`visiongw_rabbitmq_reconnects_total`), `type` is "counter" or "gauge".
struct MetricSample {
    std::string name;
    std::string help;
    std::string type;
    double value = 0;
};

// Lifecycle: create → configure → start → (health, metrics, kind methods) → stop → destroy.
// configure() and start() run once each, on one thread; stop() undoes start() and must not
// throw. After start() the kind's methods may be called from many threads at once unless the
// kind says otherwise.
class BOOST_SYMBOL_VISIBLE Plugin {
public:
    virtual ~Plugin() = default;
    virtual void configure(const PluginConfig& config, PluginContext& context) = 0;
    virtual void start() {}
    virtual void stop() noexcept {}
    virtual Health health() = 0;
    virtual std::vector<MetricSample> metrics() { return {}; }
};

}  // namespace visiongw::sdk
