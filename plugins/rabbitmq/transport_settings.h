// The typed [rabbitmq] section: where the broker is, the protocol topology, connection pacing.
#pragma once

#include <chrono>

#include "amqp/amqp_connection.h"
#include "amqp/topology.h"
#include "visiongw/sdk/plugin.h"

namespace visiongw::rabbitmq {

struct TransportSettings {
    amqp::BrokerAddress broker;
    amqp::Topology topology;
    amqp::ConnectionOptions connection;
    std::chrono::milliseconds max_reconnect_backoff{5000};
};

// Reads the section the core already checked against the option table; throws
// sdk::ConfigError naming the key when a value is well-typed but unusable (bad URL, queue type).
TransportSettings read_settings(const sdk::PluginConfig& config);

}  // namespace visiongw::rabbitmq
