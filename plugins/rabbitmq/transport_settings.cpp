#include "transport_settings.h"

#include <stdexcept>

namespace visiongw::rabbitmq {
namespace {
constexpr std::chrono::milliseconds kFirstRetryDelay{100};
constexpr double kJitter = 0.5;
}  // namespace

TransportSettings read_settings(const sdk::PluginConfig& config) {
    auto config_error = [&](const char* key, const std::exception& error) {
        return sdk::ConfigError("[" + config.section() + "] " + key + ": " + error.what());
    };
    TransportSettings settings;
    try {
        settings.brokers = amqp::parse_broker_urls(config.get_string("url"));
    } catch (const std::invalid_argument& error) {
        throw config_error("url", error);
    }
    amqp::Topology& topology = settings.topology;
    try {
        topology.queue_type = amqp::parse_queue_type(config.get_string("queue_type"));
    } catch (const std::invalid_argument& error) {
        throw config_error("queue_type", error);
    }
    topology.exchange = config.get_string("exchange");
    topology.queue = config.get_string("queue");
    topology.routing_key = config.get_string("routing_key");
    topology.delivery_limit = config.get_int("delivery_limit");
    topology.quorum_group_size = config.get_int("quorum_group_size");
    topology.message_ttl_ms = config.get_int("message_ttl_ms");
    topology.events_exchange = config.get_string("events_exchange");
    topology.events_queue = config.get_string("events_queue");
    topology.cancel_exchange = config.get_string("cancel_exchange");
    topology.cancel_stream = config.get_string("cancel_stream");
    topology.cancel_retention = config.get_string("cancel_retention");
    try {
        amqp::parse_max_age(topology.cancel_retention);
    } catch (const std::invalid_argument& error) {
        throw config_error("cancel_retention", error);
    }
    settings.connection.heartbeat = std::chrono::seconds(config.get_int("heartbeat_seconds"));
    settings.connection.connect_timeout =
        std::chrono::milliseconds(config.get_int("connect_timeout_ms"));
    settings.max_reconnect_backoff =
        std::chrono::milliseconds(config.get_int("max_reconnect_backoff_ms"));
    return settings;
}

amqp::BrokerLink broker_link(const TransportSettings& settings, const std::string& role,
                             sdk::PluginLog& log, amqp::BrokerLink::Prepare prepare) {
    auto report = [role, &log](const amqp::LinkEvent& event) {
        using Kind = amqp::LinkEvent::Kind;
        switch (event.kind) {
            case Kind::connected:
            case Kind::reconnected:
                log.write(
                    sdk::LogLevel::info,
                    "rabbitmq " + role +
                        (event.kind == Kind::reconnected ? " reconnected to " : " connected to ") +
                        event.endpoint);
                break;
            case Kind::connect_failed:
                log.write(sdk::LogLevel::warning,
                          "rabbitmq " + role + " cannot connect to " + event.endpoint + ": " +
                              event.reason + " (next attempt in " +
                              std::to_string(event.next_attempt.count()) + " ms)");
                break;
            case Kind::lost:
                log.write(sdk::LogLevel::warning, "rabbitmq " + role + " lost its connection to " +
                                                      event.endpoint + ": " + event.reason);
                break;
        }
    };
    return amqp::BrokerLink(
        settings.brokers, settings.connection,
        amqp::Backoff(kFirstRetryDelay, settings.max_reconnect_backoff, kJitter),
        std::move(prepare), std::move(report));
}

}  // namespace visiongw::rabbitmq
