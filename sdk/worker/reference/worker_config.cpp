#include "worker_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace visiongw::worker::reference {
namespace {

constexpr const char* kAnalyzers[] = {"builtin", "http", nullptr};
constexpr const char* kQueueTypes[] = {"classic", "quorum", nullptr};

constexpr visiongw_option kWorkerOptions[] = {
    {.name = "analyzer",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "builtin",
     .choices = kAnalyzers,
     .description = "builtin (colour statistics, no service) or http"},
    {.name = "concurrency",
     .type = VISIONGW_OPTION_INT,
     .default_value = "1",
     .min = "1",
     .max = "256",
     .description = "jobs run at once (and the job queue prefetch)"},
    {.name = "max_retries",
     .type = VISIONGW_OPTION_INT,
     .default_value = "3",
     .min = "0",
     .max = "100",
     .description = "further attempts after a retryable failure"},
    {.name = "retry_backoff_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "500",
     .min = "0",
     .max = "3600000",
     .description = "wait before the first retry; doubles each time"},
    {.name = "max_analysis_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "600",
     .min = "1",
     .max = "86400",
     .description = "bound of one attempt; keep below RabbitMQ's consumer_timeout"},
    {.name = "vision_service_url",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "VISION_SERVICE_URL",
     .description = "http analyzer: where the image is POSTed"},
    {.name = "llm_service_url",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "LLM_SERVICE_URL",
     .description = "http analyzer: where comprehensive jobs' prompts go (optional)"},
    {.name = "http_timeout_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "10000",
     .min = "1",
     .max = "3600000",
     .description = "http analyzer: connect/send/receive timeout of each call"},
    {.name = "storage_root",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "FILE_STORAGE_TEMP_DIR",
     .description = "folder the gateway stores images in; only files below it are read (empty: "
                    "[local] root of this file)"},
};

// The keys of the gateway's [rabbitmq] the worker reads, with their environment overrides (the
// rabbitmq plugin declares the same) and ranges; their defaults are Topology's. The gateway's
// other keys there are ignored.
constexpr visiongw_option kRabbitmqKeys[] = {
    {.name = "url",
     .type = VISIONGW_OPTION_STRING,
     .env = "RABBITMQ_URL",
     .description = "broker URL, or one per cluster node separated by commas"},
    {.name = "exchange",
     .type = VISIONGW_OPTION_STRING,
     .env = "RABBITMQ_EXCHANGE_NAME",
     .description = "direct exchange of job messages"},
    {.name = "queue",
     .type = VISIONGW_OPTION_STRING,
     .env = "RABBITMQ_QUEUE_NAME",
     .description = "job queue"},
    {.name = "routing_key",
     .type = VISIONGW_OPTION_STRING,
     .env = "RABBITMQ_ROUTING_KEY",
     .description = "routing key of job messages"},
    {.name = "queue_type",
     .type = VISIONGW_OPTION_STRING,
     .choices = kQueueTypes,
     .description = "queue type of the job, event and dead-letter queues"},
    {.name = "quorum_group_size",
     .type = VISIONGW_OPTION_INT,
     .min = "0",
     .max = "99",
     .description = "replicas of each quorum queue when it is first declared"},
    {.name = "delivery_limit",
     .type = VISIONGW_OPTION_INT,
     .min = "1",
     .max = "1000000",
     .description = "deliveries before a quorum queue dead-letters a job"},
    {.name = "message_ttl_ms",
     .type = VISIONGW_OPTION_INT,
     .min = "0",
     .max = "4294967295",
     .description = "job message time-to-live"},
    {.name = "events_exchange", .type = VISIONGW_OPTION_STRING, .description = "event exchange"},
    {.name = "events_queue", .type = VISIONGW_OPTION_STRING, .description = "event queue"},
    {.name = "cancel_exchange",
     .type = VISIONGW_OPTION_STRING,
     .description = "cancellation exchange"},
    {.name = "cancel_stream", .type = VISIONGW_OPTION_STRING, .description = "cancellation stream"},
    {.name = "cancel_retention",
     .type = VISIONGW_OPTION_STRING,
     .description = "how long cancellations are remembered"},
};

const visiongw_option* find_option(sdk::OptionTable table, const std::string& key) {
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const visiongw_option& option) { return key == option.name; });
    return it == table.end() ? nullptr : &*it;
}

// One ini section read through an option table: a key's environment variable (`env`) when it
// is set and not empty, else the ini, else the caller's fallback.
class Section {
public:
    Section(const Poco::Util::AbstractConfiguration& ini, std::string path, std::string name,
            sdk::OptionTable table)
        : ini_(ini), path_(std::move(path)), name_(std::move(name)), table_(table) {}

    std::string text(const std::string& key, const std::string& fallback) const {
        if (const char* env = set_variable(key))
            return env;
        return ini_.getRawString(name_ + "." + key, fallback);
    }

    // A non-empty name.
    std::string name(const std::string& key, const std::string& fallback) const {
        std::string value = text(key, fallback);
        if (value.empty())
            throw error(key, "must not be empty");
        return value;
    }

    // An integer within the table's min and max of `key`.
    std::int64_t integer(const std::string& key, const std::string& fallback) const {
        const visiongw_option& option = *find_option(table_, key);
        const std::int64_t min = std::stoll(option.min), max = std::stoll(option.max);
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

    // One of the table's choices of `key`.
    std::string choice(const std::string& key, const std::string& fallback) const {
        const visiongw_option& option = *find_option(table_, key);
        const std::string value = text(key, fallback);
        if (!sdk::is_choice(option, value))
            throw error(key, "must be " + sdk::choice_list(option) + ", got '" + value + "'");
        return value;
    }

    // "FILE: [section] key (from VARIABLE): reason", naming the variable when it set the value.
    WorkerConfigError error(const std::string& key, const std::string& reason) const {
        std::string source;
        if (set_variable(key) != nullptr)
            source = std::string(" (from ") + find_option(table_, key)->env + ")";
        return WorkerConfigError(path_ + ": [" + name_ + "] " + key + source + ": " + reason);
    }

private:
    // The value of `key`'s environment variable when the table declares one that is set and
    // not empty.
    const char* set_variable(const std::string& key) const {
        const visiongw_option* option = find_option(table_, key);
        if (option == nullptr || option->env == nullptr)
            return nullptr;
        const char* value = std::getenv(option->env);
        return value != nullptr && *value != '\0' ? value : nullptr;
    }

    const Poco::Util::AbstractConfiguration& ini_;
    std::string path_;
    std::string name_;
    sdk::OptionTable table_;
};

// The `[local] root` the gateway's local storage plugin uses when its section gives none.
constexpr const char* kGatewayStorageRoot = "/var/lib/visiongw/files";

const char* worker_default(const std::string& key) {
    return find_option(kWorkerOptions, key)->default_value;
}

void read_rabbitmq(const Section& section, WorkerOptions& options) {
    options.amqp_url = section.text("url", options.amqp_url);
    try {
        amqp::parse_broker_urls(options.amqp_url);
    } catch (const std::invalid_argument& e) {
        throw section.error("url", e.what());
    }
    Topology& topology = options.topology;
    topology.exchange = section.name("exchange", topology.exchange);
    topology.queue = section.name("queue", topology.queue);
    topology.routing_key = section.name("routing_key", topology.routing_key);
    topology.queue_type = amqp::parse_queue_type(section.choice("queue_type", "classic"));
    topology.delivery_limit =
        section.integer("delivery_limit", std::to_string(topology.delivery_limit));
    topology.quorum_group_size =
        section.integer("quorum_group_size", std::to_string(topology.quorum_group_size));
    topology.message_ttl_ms =
        section.integer("message_ttl_ms", std::to_string(topology.message_ttl_ms));
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
        if (find_option(kWorkerOptions, key) == nullptr) {
            std::string valid;
            for (const auto& option : kWorkerOptions)
                valid += (valid.empty() ? "" : ", ") + std::string(option.name);
            throw section.error(key, "unknown key; the valid keys are " + valid);
        }
    }
    auto integer = [&](const char* key) { return section.integer(key, worker_default(key)); };
    config.analyzer = section.choice("analyzer", worker_default("analyzer"));
    WorkerOptions& worker = config.worker;
    worker.concurrency = static_cast<int>(integer("concurrency"));
    worker.max_retries = static_cast<int>(integer("max_retries"));
    worker.retry_backoff = std::chrono::milliseconds(integer("retry_backoff_ms"));
    worker.max_analysis = std::chrono::seconds(integer("max_analysis_seconds"));
    config.http.timeout = std::chrono::milliseconds(integer("http_timeout_ms"));
    config.http.vision_service_url =
        section.text("vision_service_url", worker_default("vision_service_url"));
    // Not given: the gateway's own root, as the gateway reads it from the same file.
    worker.storage_root = section.text("storage_root", worker_default("storage_root"));
    if (worker.storage_root.empty())
        worker.storage_root = ini.getRawString("local.root", kGatewayStorageRoot);
    config.http.llm_service_url =
        section.text("llm_service_url", worker_default("llm_service_url"));
    if (config.analyzer != "http")
        return;
    if (config.http.vision_service_url.empty()) {
        throw section.error("vision_service_url", "is required with analyzer = http");
    }
    try {
        HttpAnalyzer{config.http};
    } catch (const std::invalid_argument& e) {
        const bool llm = std::string(e.what()).rfind("llm_service_url", 0) == 0;
        throw section.error(llm ? "llm_service_url" : "vision_service_url", e.what());
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

sdk::OptionTable worker_options() {
    return kWorkerOptions;
}

sdk::OptionTable rabbitmq_keys() {
    return kRabbitmqKeys;
}

ReferenceWorkerConfig load_worker_config(const std::string& path) {
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
    try {
        ini = new Poco::Util::IniFileConfiguration(path);
    } catch (const Poco::Exception& e) {
        throw WorkerConfigError(path + ": cannot read the configuration: " + e.displayText());
    }
    ReferenceWorkerConfig config;
    read_rabbitmq(Section(*ini, path, "rabbitmq", kRabbitmqKeys), config.worker);
    read_worker(*ini, Section(*ini, path, "worker", kWorkerOptions), config);
    config.log_level = read_log_level(Section(*ini, path, "log", {}));
    return config;
}

}  // namespace visiongw::worker::reference
