// The test RabbitMQ as a test drives it: connections, a topology of its own, its removal, the
// broker's node through rabbitmqctl, and outages.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"

namespace visiongw::testing {

// The broker of VISIONGW_TEST_AMQP_URL.
amqp::BrokerAddress test_broker();
amqp::AmqpConnection connect_test_broker();

// The protocol's topology with every exchange, queue and stream named "vgwtest.<unique>.…",
// so a test's objects are its own.
amqp::Topology unique_topology();
// Deletes every queue, stream and exchange of `topology`, dead-letter ones included.
void delete_topology(amqp::AmqpConnection& connection, const amqp::Topology& topology);

// The next message a consumer of `connection` gets within `timeout`; confirms and returns
// that arrive meanwhile are dropped.
std::optional<amqp::Delivery> next_delivery(amqp::AmqpConnection& connection,
                                            std::chrono::milliseconds timeout);

// Runs `rabbitmqctl -q -n NODE <arguments>` on the node of VISIONGW_TEST_RABBIT_NODE and
// returns what it printed; throws std::runtime_error naming the command when it failed.
std::string rabbitmqctl(const std::string& arguments);

// Stops the test broker's application for its lifetime (`stop_app`, then `start_app` and
// `await_startup`); the constructor throws when the broker did not stop, the destructor records
// a test failure when it did not come back.
class BrokerOutage {
public:
    BrokerOutage();
    ~BrokerOutage();
    BrokerOutage(const BrokerOutage&) = delete;
    BrokerOutage& operator=(const BrokerOutage&) = delete;
};

}  // namespace visiongw::testing
