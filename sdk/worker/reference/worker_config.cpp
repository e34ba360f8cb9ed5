#include "worker_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace visiongw::worker::reference {
namespace {

// One ini section with the environment overriding some of its keys.
class Section {
public:
    Section(const Poco::Util::AbstractConfiguration& ini, std::string path, std::string name)
        : ini_(ini), path_(std::move(path)), name_(std::move(name)) {}

    // The value from `env` when it is set and not empty, else from the ini, else `fallback`.
    std::string text(const std::string& key, const std::string& fallback,
                     const char* env = nullptr) const {
        if (env != nullptr) {
            if (const char* value = std::getenv(env); value != nullptr && *value != '\0') {
                return value;
            }
        }
        return ini_.getRawString(name_ + "." + key, fallback);
    }

    // A non-empty name.
    std::string name(const std::string& key, const std::string& fallback,
                     const char* env = nullptr) const {
        std::string value = text(key, fallback, env);
        if (value.empty())
            throw error(key, "must not be empty", env);
        return value;
    }

    std::int64_t integer(const std::string& key, const std::string& fallback, std::int64_t min,
                         std::int64_t max) const {
        const std::string value = text(key, fallback);
        std::int64_t number = 0;
        auto [end, status] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (value.empty() || status != std::errc() || end != value.data() + value.size() ||
            number < min || number > max) {
            throw error(key, "must be an integer between " + std::to_string(min) + " and " +
                                 std::to_string(max) + ", got '" + value + "'");
        }
        return number;
    }

    WorkerConfigError error(const std::string& key, const std::string& reason,
                            const char* env = nullptr) const {
        std::string source;
        if (env != nullptr && std::getenv(env) != nullptr && *std::getenv(env) != '\0') {
            source = std::string(" (from ") + env + ")";
        }
        return WorkerConfigError(path_ + ": [" + name_ + "] " + key + source + ": " + reason);
    }

private:
    const Poco::Util::AbstractConfiguration& ini_;
    std::string path_;
    std::string name_;
};

const char* worker_default(const std::string& key) {
    const auto& options = worker_options();
    return std::find_if(options.begin(), options.end(),
                        [&](const WorkerOption& option) { return key == option.key; })
        ->default_value;
}

void read_rabbitmq(const Section& section, WorkerOptions& options) {
    options.amqp_url = section.text("url", options.amqp_url, "RABBITMQ_URL");
    try {
        amqp::parse_broker_url(options.amqp_url);
    } catch (const std::invalid_argument& e) {
        throw section.error("url", e.what(), "RABBITMQ_URL");
    }
    Topology& topology = options.topology;
    topology.exchange = section.name("exchange", topology.exchange, "RABBITMQ_EXCHANGE_NAME");
    topology.queue = section.name("queue", topology.queue, "RABBITMQ_QUEUE_NAME");
    topology.routing_key =
        section.name("routing_key", topology.routing_key, "RABBITMQ_ROUTING_KEY");
    try {
        topology.queue_type = amqp::parse_queue_type(section.text("queue_type", "classic"));
    } catch (const std::invalid_argument& e) {
        throw section.error("queue_type", e.what());
    }
    topology.delivery_limit =
        section.integer("delivery_limit", std::to_string(topology.delivery_limit), 1, 1'000'000);
    topology.message_ttl_ms = section.integer(
        "message_ttl_ms", std::to_string(topology.message_ttl_ms), 0, 4'294'967'295);
    topology.events_exchange = section.name("events_exchange", topology.events_exchange);
    topology.events_queue = section.name("events_queue", topology.events_queue);
    topology.cancel_exchange = section.name("cancel_exchange", topology.cancel_exchange);
    topology.cancel_stream = section.name("cancel_stream", topology.cancel_stream);
    topology.cancel_retention = section.name("cancel_retention", topology.cancel_retention);
    try {
        amqp::parse_max_age(topology.cancel_retention);
    } catch (const std::invalid_argument& e) {
        throw section.error("cancel_retention", e.what());
    }
}

void read_worker(const Poco::Util::AbstractConfiguration& ini, const Section& section,
                 ReferenceWorkerConfig& config) {
    Poco::Util::AbstractConfiguration::Keys keys;
    ini.keys("worker", keys);
    for (const std::string& key : keys) {
        const auto& options = worker_options();
        if (std::none_of(options.begin(), options.end(),
                         [&](const WorkerOption& option) { return key == option.key; })) {
            std::string valid;
            for (const auto& option : options)
                valid += (valid.empty() ? "" : ", ") + std::string(option.key);
            throw section.error(key, "unknown key; the valid keys are " + valid);
        }
    }
    auto integer = [&](const char* key, std::int64_t min, std::int64_t max) {
        return section.integer(key, worker_default(key), min, max);
    };
    config.analyzer = section.text("analyzer", worker_default("analyzer"));
    if (config.analyzer != "builtin" && config.analyzer != "http") {
        throw section.error("analyzer", "must be builtin or http, got '" + config.analyzer + "'");
    }
    WorkerOptions& worker = config.worker;
    worker.concurrency = static_cast<int>(integer("concurrency", 1, 256));
    worker.max_retries = static_cast<int>(integer("max_retries", 0, 100));
    worker.retry_backoff = std::chrono::milliseconds(integer("retry_backoff_ms", 0, 3'600'000));
    worker.max_analysis = std::chrono::seconds(integer("max_analysis_seconds", 1, 86'400));
    config.http.timeout = std::chrono::milliseconds(integer("http_timeout_ms", 1, 3'600'000));
    config.http.vision_service_url = section.text(
        "vision_service_url", worker_default("vision_service_url"), "VISION_SERVICE_URL");
    config.http.llm_service_url =
        section.text("llm_service_url", worker_default("llm_service_url"), "LLM_SERVICE_URL");
    if (config.analyzer != "http")
        return;
    if (config.http.vision_service_url.empty()) {
        throw section.error("vision_service_url", "is required with analyzer = http");
    }
    try {
        HttpAnalyzer{config.http};
    } catch (const std::invalid_argument& e) {
        const bool llm = std::string(e.what()).rfind("llm_service_url", 0) == 0;
        throw section.error(llm ? "llm_service_url" : "vision_service_url", e.what(),
                            llm ? "LLM_SERVICE_URL" : "VISION_SERVICE_URL");
    }
}

// The lowest level that is written, as the gateway reads the same key.
LogLevel read_log_level(const Section& section) {
    const std::string name = section.text("level", "info");
    for (LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error}) {
        if (name == level_name(level))
            return level;
    }
    throw section.error("level", "must be debug, info, warning or error, got '" + name + "'");
}

}  // namespace

const std::vector<WorkerOption>& worker_options() {
    static const std::vector<WorkerOption> options{
        {"analyzer", "builtin", "builtin (colour statistics, no service) or http"},
        {"concurrency", "1", "jobs run at once (and the job queue prefetch)"},
        {"max_retries", "3", "further attempts after a retryable failure"},
        {"retry_backoff_ms", "500", "wait before the first retry; doubles each time"},
        {"max_analysis_seconds", "600",
         "bound of one attempt; keep below RabbitMQ's consumer_timeout"},
        {"vision_service_url", "", "http analyzer: where the image is POSTed"},
        {"llm_service_url", "", "http analyzer: where comprehensive jobs' prompts go (optional)"},
        {"http_timeout_ms", "10000", "http analyzer: connect/send/receive timeout of each call"},
    };
    return options;
}

ReferenceWorkerConfig load_worker_config(const std::string& path) {
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
    try {
        ini = new Poco::Util::IniFileConfiguration(path);
    } catch (const Poco::Exception& e) {
        throw WorkerConfigError(path + ": cannot read the configuration: " + e.displayText());
    }
    ReferenceWorkerConfig config;
    read_rabbitmq(Section(*ini, path, "rabbitmq"), config.worker);
    read_worker(*ini, Section(*ini, path, "worker"), config);
    config.log_level = read_log_level(Section(*ini, path, "log"));
    return config;
}

}  // namespace visiongw::worker::reference
