// The typed [rabbitmq] section: where the broker is, the protocol topology, connection pacing.
#pragma once

#include <chrono>
#include <string>

#include "visiongw/amqp/broker_link.h"
#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"
#include "visiongw/sdk/plugin.h"

namespace visiongw::rabbitmq {

struct TransportSettings {
    amqp::BrokerList brokers;  // the nodes of the cluster, tried in turn
    amqp::Topology topology;
    amqp::ConnectionOptions connection;
    std::chrono::milliseconds max_reconnect_backoff{5000};
};

// Reads the section the core already checked against the option table; throws
// sdk::ConfigError naming the key when a value is well-typed but unusable (bad URL, queue type).
TransportSettings read_settings(const sdk::PluginConfig& config);

// The broker link of one of the transport's threads (`role`: "publisher", "event consumer"):
// retries from 100 ms up to max_reconnect_backoff, logging each connect, loss and failed attempt
// as "rabbitmq <role> ...".
amqp::BrokerLink broker_link(const TransportSettings& settings, const std::string& role,
                             sdk::PluginLog& log, amqp::BrokerLink::Prepare prepare);

}  // namespace visiongw::rabbitmq
